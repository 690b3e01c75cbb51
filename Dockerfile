# syntax=docker/dockerfile:1
# The same steps as scripts/production-path.sh, which CI runs (docs/operating.md, "Running in production").
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
COPY bin ./bin
RUN npm run build

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 BRIDGE_CONFIG_DIR=/app/config DATA_DIR=/app/data
WORKDIR /app
# OpenSSL's GOST engine: ESIA's signatures (GOST R 34.10-2012) in process.
RUN apt-get update && apt-get install -y --no-install-recommends libengine-gost-openssl && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
# The docs the operator's tool names in its --help (docs/support-desk.md…).
COPY docs ./docs
# The operator's tool on the PATH: docker exec <container> diary-bridge keys list
RUN ln -s /app/bin/diary-bridge.js /usr/local/bin/diary-bridge
# The template; mount your own configuration over /app/config.
COPY config.example ./config
# Only used with database.embedded: true (without DATABASE_URL): mount a volume there (docs/operating.md, "Docker").
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# What `npm start` runs, with node as PID 1 (SIGTERM and SIGHUP reach the service itself). A 4 MiB young
# generation keeps an idle instance under 100 MiB resident (see docs/operating.md, "Running it": sizing).
CMD ["node", "--max-semi-space-size=4", "dist/src/server.js"]
