# The command-line runner (runner/) in a container: one shard per container, under an AWS Batch
# array job or a Kubernetes Indexed Job (README, "Download a whole datastore"). Only what the
# runner loads is copied: the engine's core, io, pool and worker modules, not the page.
#   docker build -t ahi-web-retrieve .
#   docker run --rm -v "$PWD/out:/out" -v "$PWD/manifests:/in:ro" -e AWS_REGION=us-east-1 \
#     ahi-web-retrieve -i /in --out /out -f jph
FROM node:22-slim

WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# Runtime dependencies only (tsx runs the TypeScript; the codecs are WASM, nothing to compile).
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY runner ./runner
COPY src/core ./src/core
COPY src/io ./src/io
COPY src/pool ./src/pool
COPY workers ./workers

# Not root; /out is where a volume (EFS, FSx, Mountpoint for Amazon S3) is mounted.
RUN mkdir /out && chown node:node /out
USER node
ENTRYPOINT ["node", "--import", "tsx", "--import", "./runner/platform/register.mjs", "runner/cli.ts"]
CMD ["--help"]
