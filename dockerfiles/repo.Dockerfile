# One repository image: the repository at /testbed with its dependencies installed.
# Rendered by forager/images/build.py.
FROM {base}
{apt}
{env}
COPY testbed /testbed
WORKDIR /testbed
COPY install.sh /opt/forager/install.sh
RUN timeout {build_timeout} bash /opt/forager/install.sh
LABEL forager=1 forager.kind=repo forager.recipe={name}
