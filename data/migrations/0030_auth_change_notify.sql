-- Every change that can end or narrow someone's access sends a notification on the channel
-- auth_changes, so API processes that cache who a token or session belongs to drop their
-- cache at once. Inserts grant nothing to an existing credential, so they are not watched,
-- and neither is api_token.last_used_at, which every request may refresh.
CREATE FUNCTION notify_auth_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('auth_changes', TG_TABLE_NAME);
  RETURN NULL;
END
$$;

CREATE TRIGGER app_user_auth_change AFTER UPDATE OR DELETE OR TRUNCATE ON app_user
  FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_change();

CREATE TRIGGER api_token_auth_change AFTER UPDATE OF token_hash, user_id, revoked_at OR DELETE OR TRUNCATE ON api_token
  FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_change();

CREATE TRIGGER user_session_auth_change AFTER UPDATE OR DELETE OR TRUNCATE ON user_session
  FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_change();
