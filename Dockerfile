# syntax=docker/dockerfile:1
# Multi-stage build: compile TypeScript with the dev dependencies, ship only production ones.
# Node 24 is the maintained LTS line the image targets (package.json engines also allow 20.19+,
# where CI tests, and 22.12+); the code runs unchanged on all three.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY carriers ./carriers
COPY config ./config
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# config/demo.yaml is read by `--demo` only: without --config or GATEWAY_CONFIG the program exits 1.
COPY config/demo.yaml ./config/demo.yaml
# The runbooks /ops serves under /ops/runbooks/ (src/ops/runbooks.ts reads them at boot).
COPY docs/runbooks ./docs/runbooks
USER node
# Configuration comes from a mounted file (GATEWAY_CONFIG) and secrets from the environment
# (GATEWAY_ENCRYPTION_KEY and the ${VAR} references in that file) or mounted files (file:/path).
ENV GATEWAY_HOST=0.0.0.0 \
    PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: node is PID 1 and gets SIGTERM itself, which starts the graceful drain
# (shutdown.graceMs, then the work in flight; allow `docker stop -t` longer than shutdown.timeoutMs).
CMD ["node", "dist/src/main.js"]
