# soc2-evidence as a container: the task EventBridge Scheduler starts on ECS (deploy/README.md).
# No configuration or credentials are baked in: controls.yaml comes from --config (a mounted file or
# s3://bucket/key) or SOC2_EVIDENCE_CONFIG, and AWS credentials from the ECS task role at run time.

# Build: compile the TypeScript with the dev dependencies.
FROM node:22-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY collectors ./collectors
COPY reports ./reports
RUN npm run build

# Runtime: production dependencies and the compiled code only, owned by root and run as the unprivileged node user.
FROM node:22-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
ENTRYPOINT ["node", "/app/dist/src/cli.js"]
CMD ["schedule", "--once"]
