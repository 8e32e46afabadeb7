# One image for the API, the worker and the ops CLI; the command picks the role:
#   docker run IMAGE api  |  worker  |  ops backup list  |  create-buckets
# The app runs its TypeScript through tsx (a runtime dependency), so nothing is compiled.

# Production dependencies only, installed from the lockfile.
FROM node:20.20.2-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20.20.2-bookworm-slim AS runtime
# The worker runs pg_dump, pg_restore and psql. Bookworm's client is PostgreSQL 15, which dumps
# servers up to version 15; a newer server needs a newer client here.
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/school-ops/local \
 && chown node:node /var/lib/school-ops/local
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY activities ./activities
COPY api ./api
COPY auth ./auth
COPY cli ./cli
COPY client ./client
COPY config ./config
COPY data ./data
COPY domain ./domain
COPY observability ./observability
COPY storage ./storage
COPY web ./web
COPY worker ./worker
COPY workflows ./workflows
COPY deploy ./deploy
ENV NODE_ENV=production
# The code stays owned by root, so the app cannot change it; it writes only to the volume above
# and to the temporary folder.
USER node
ENTRYPOINT ["./deploy/entrypoint.sh"]
CMD ["api"]
