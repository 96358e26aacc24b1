# The careledger node image (also runs the one-shot deploy). Dev consortium only: no build step,
# tsx runs the TypeScript directly as `npm start` does.
FROM node:20-bookworm-slim
# A C compiler for the native Groth16 prover (circuits/native-prover), built on first use for the
# CPU the container runs on (-march=native); without one, cohort proofs fall back to snarkjs (~10x slower).
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts=false
COPY . .
ENTRYPOINT ["/app/network/docker/gateway-entrypoint.sh"]
