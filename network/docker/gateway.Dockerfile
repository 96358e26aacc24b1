# The careledger node image (also runs the one-shot deploy). Dev consortium only: no build step,
# tsx runs the TypeScript directly as `npm start` does.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts=false
COPY . .
ENTRYPOINT ["/app/network/docker/gateway-entrypoint.sh"]
