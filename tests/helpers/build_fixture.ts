// The multi-stage Dockerfile build_test.ts and build_docker_test.ts build.

/** Stages, ARG/ENV/WORKDIR/USER, COPY --from/--chown, modes, owners and a deleted file. */
export const MULTI_STAGE = [
  "ARG BASE=busybox:latest",
  "FROM ${BASE} AS build",
  "ARG GREETING=hello",
  "ENV APP=/app",
  "WORKDIR $APP/src",
  "COPY data/ ./data/",
  "COPY --chown=1234:5678 one.txt two.txt ./",
  'RUN echo "$GREETING" > greeting && chmod 640 greeting && mkdir -p /app/out && ' +
  "chown 7:8 /app/out",
  "RUN echo 'appuser:x:1500:1500::/home/appuser:/bin/sh' >> /etc/passwd && " +
  "echo 'appuser:x:1500:' >> /etc/group",
  "FROM busybox:latest",
  "COPY --from=build /etc/passwd /etc/group /etc/",
  "COPY --from=build --chown=appuser /app /app",
  "RUN rm /bin/vi && mkdir /made && chown 1500:1500 /made && chmod 2750 /made",
  "USER appuser",
  "WORKDIR /app/src",
  "RUN touch /tmp/made-by-user",
  'CMD ["cat", "greeting"]',
  "",
].join("\n");
