# tagfake as a service container: `docker run -p 8080:8080 tagfake` serves the four fake vendors.
# Settings are TAGFAKE_* environment variables (README, "Configuration"). Build on another base,
# e.g. a local one when no registry can be reached:  --build-arg BASE_IMAGE=localhost/my-python
ARG BASE_IMAGE=python:3.12-slim

# ---- build: a venv with tagfake and its dependencies (pip, wheels and sources stay here) ----
FROM ${BASE_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
RUN python -m venv /opt/tagfake
# Dependencies first, from pyproject.toml alone, so a code change reuses this layer.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && /opt/tagfake/bin/pip install --requirement /tmp/requirements.txt
COPY src ./src
COPY specs ./specs
COPY fixtures ./fixtures
# pip compiles the bytecode here, as root: the runtime user could not write it, and it makes
# the start fast. pip itself (and setuptools, on Python < 3.12) is not needed at run time.
RUN /opt/tagfake/bin/pip install --no-deps . \
 && /opt/tagfake/bin/pip uninstall --yes --quiet pip setuptools \
 && /opt/tagfake/bin/tagfake --version

# ---- runtime -----------------------------------------------------------------------------------
FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title="tagfake" \
      org.opencontainers.image.description="Stateful fake of four SaaS vendors' tag APIs (healvi, CommBox, Zapini, Nexor)" \
      org.opencontainers.image.licenses="MIT"
# uid/gid 10001, no home, no shell: /data is where a state file volume goes.
RUN groupadd --system --gid 10001 tagfake \
 && useradd --system --uid 10001 --gid tagfake --no-create-home --home-dir /data \
      --shell /usr/sbin/nologin tagfake \
 && mkdir -p /data \
 && chown tagfake:tagfake /data
COPY --from=build /opt/tagfake /opt/tagfake
ENV PATH=/opt/tagfake/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /data
USER 10001:10001
EXPOSE 8080
# Plain python: the base has no curl. Any answer but 2xx, or none within 2 s, is unhealthy.
# It sends TAGFAKE_ADMIN_TOKEN, when the container has one (the admin API then requires it).
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request as u; u.urlopen(u.Request('http://127.0.0.1:8080/__admin/health', headers={'X-Tagfake-Admin-Token': os.environ.get('TAGFAKE_ADMIN_TOKEN', '')}), timeout=2)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["tagfake", "serve", "--host", "0.0.0.0", "--port", "8080"]
