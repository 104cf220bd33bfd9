"""Where modules come from: a MODEL argument (spec name, spec file, import path) resolved
to a module and its inputs."""
