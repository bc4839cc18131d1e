# Forager base: OS + Python + git + Forager's in-container helpers + a venv with the test tools.
# Rendered by forager/images/base.py; {from_image} and {setup} are filled in there.
FROM {from_image}
ENV LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_CERT=/usr/local/share/forager/host-ca.crt \
    REQUESTS_CA_BUNDLE=/usr/local/share/forager/host-ca.crt \
    SSL_CERT_FILE=/usr/local/share/forager/host-ca.crt \
    GIT_SSL_CAINFO=/usr/local/share/forager/host-ca.crt \
    PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
{pip_env}
COPY host-ca.crt /usr/local/share/forager/host-ca.crt
COPY helpers/ /opt/forager/helpers/
RUN {setup}
RUN ln -sf "$(command -v python3)" /opt/forager/python \
 && git config --system user.name forager \
 && git config --system user.email forager@localhost \
 && git config --system safe.directory '*' \
 && git config --system init.defaultBranch main \
 && python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install -q {tools}
LABEL forager=1 forager.kind=base
