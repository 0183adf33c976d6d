# syntax=docker/dockerfile:1
# Multi-stage build: compile TypeScript with the dev dependencies, ship only production ones.

FROM node:20.19-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY carriers ./carriers
COPY config ./config
RUN npm run build

FROM node:20.19-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# config/demo.yaml is read by the demo when no configuration is given.
COPY config/demo.yaml ./config/demo.yaml
USER node
# Configuration comes from a mounted file (GATEWAY_CONFIG) and secrets from the environment
# (GATEWAY_ENCRYPTION_KEY and the ${VAR} references in that file) or mounted files (file:/path).
ENV GATEWAY_HOST=0.0.0.0 \
    PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/src/main.js"]
