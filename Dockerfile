# syntax=docker/dockerfile:1
# The identity provider as a container: build with the toolchain, run without it.
#
#   docker build -t idp .
#   docker run -p 3000:3000 -v idp-data:/app/data \
#     -e IDP_ISSUER=https://id.example.com -e IDP_SECRET_KEY=… -e IDP_SMTP_URL=smtp://mail:25 \
#     -e IDP_MAIL_FROM=no-reply@example.com idp
#
# NODE_ENV=production refuses an http or loopback issuer, a missing or non-random
# IDP_SECRET_KEY and a missing IDP_SMTP_URL (docs/configuration.md); the default sender
# no-reply@localhost is logged as a warning. Operator commands run in the same image:
#   docker exec -it <container> node bin/idp.js orgs list

# Node 24 is the Active LTS line.
FROM node:24-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary matches
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# dependencies first, so a source change does not reinstall them
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    IDP_DATA_DIR=/app/data
WORKDIR /app
# Code stays owned by root (read-only for the service user); only data/ is writable.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
# read at run time from <root>/interactions/public, the root being where package.json is
COPY --from=build /app/interactions/public ./interactions/public
# the default database sqlite:./data/idp.sqlite resolves to /app/data/idp.sqlite
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 3000
# slim images have no curl: ask node itself
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/main.js"]
