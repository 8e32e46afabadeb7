# One image for the API and the worker; the command picks the role:
#   docker run IMAGE api      or      docker run IMAGE worker
FROM node:20-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
# The worker runs pg_dump, pg_restore and psql; bookworm's client is PostgreSQL 15, which
# can dump servers up to version 15. Use a newer client for a newer server.
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY activities ./activities
COPY api ./api
COPY cli ./cli
COPY client ./client
COPY config ./config
COPY data ./data
COPY domain ./domain
COPY observability ./observability
COPY storage ./storage
COPY worker ./worker
COPY workflows ./workflows
COPY deploy/entrypoint.sh ./deploy/entrypoint.sh
USER node
ENV NODE_ENV=production
ENTRYPOINT ["./deploy/entrypoint.sh"]
CMD ["api"]
