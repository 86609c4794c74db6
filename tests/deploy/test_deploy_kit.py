"""The deploy kit (deploy/) is checked offline, since no container runtime or cluster is at hand: the settings
file against agent/settings.py, compose.yaml against the Compose Specification's JSON schema (vendored beside
this file from github.com/compose-spec/compose-spec, schema/compose-spec.json, Apache-2.0: compose-spec.LICENSE),
the Kubernetes manifests, rendered as kustomize would, against the Kubernetes API schemas bundled in
kubernetes-validate, the Dockerfiles for what the images promise, and scripts/bootstrap.sh --gpu with a stand-in
pip.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from agent.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
KUBERNETES_VERSION = "1.31"
SETTING_KEYS = {f"CARECALL_{name.upper()}" for name in Settings.model_fields}
# What a container deployment sets differently from the defaults (listen beyond loopback, the images' data dir,
# a public URL, https-only cookies behind TLS).
DEPLOYMENT_VALUES = {"CARECALL_HOST", "CARECALL_DATA_DIR", "CARECALL_PUBLIC_URL", "CARECALL_DASHBOARD_HTTPS_ONLY"}
# Set by the images (ENV): left commented in deploy/.env.example, so an --env-file does not undo them.
IMAGE_VALUES = {"CARECALL_HOST", "CARECALL_PORT", "CARECALL_DATA_DIR"}


# --- deploy/.env.example -------------------------------------------------------------------------------------

def env_example() -> tuple[dict[str, str], dict[str, str]]:
    """The ``KEY=value`` lines, and the lines commented out (``# CARECALL_X=…``: unset by default, or set by
    the images)."""
    values, commented = {}, {}
    for line in (DEPLOY / ".env.example").read_text(encoding="utf-8").splitlines():
        if match := re.fullmatch(r"([A-Z][A-Z0-9_]*)=(.*)", line):
            values[match[1]] = match[2]
        elif match := re.fullmatch(r"#\s?(CARECALL_[A-Z0-9_]+)=(.*)", line):
            commented[match[1]] = match[2]
    return values, commented


def default_of(key: str):
    return Settings.model_fields[key.removeprefix("CARECALL_").lower()].default


def test_env_example_lists_every_setting_and_nothing_else():
    values, commented = env_example()
    keys = {k for k in values if k.startswith("CARECALL_")} | set(commented)
    assert SETTING_KEYS - keys == set(), "settings missing from deploy/.env.example"
    assert keys - SETTING_KEYS == set(), "CARECALL_ keys in deploy/.env.example that are no setting"
    assert not set(commented) & set(values), "a key both set and commented out"


def test_env_example_values_are_the_defaults(monkeypatch):
    """Loaded as a .env file the example changes nothing, and what it leaves commented is unset by default (an
    empty ``CARECALL_ASR_CHUNK_MS=`` would not mean unset: it would fail to parse)."""
    for key in list(os.environ):
        if key.startswith("CARECALL_"):
            monkeypatch.delenv(key)
    values, commented = env_example()
    assert Settings(_env_file=DEPLOY / ".env.example").model_dump() == Settings(_env_file=None).model_dump()
    for key, value in commented.items():
        if key in IMAGE_VALUES:
            assert value == str(default_of(key)), key
        else:
            assert default_of(key) is None, f"{key} has a default: show it as CARECALL_X=default"
    for key in SETTING_KEYS & set(values):
        assert default_of(key) is not None, f"{key} is unset by default: show it commented out"


# --- deploy/compose.yaml and deploy/Caddyfile ---------------------------------------------------------------

def load_compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_file_is_valid_against_the_compose_specification():
    schema = json.loads((Path(__file__).parent / "compose-spec.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(load_compose())


def test_compose_topology_and_its_wiring():
    compose = load_compose()
    services = compose["services"]
    assert {"call-1", "call-2", "scheduler", "dialer-1", "dialer-2", "redis", "postgres", "caddy"} <= set(services)
    assert services["call-1"]["command"] == services["call-2"]["command"] == ["serve"]
    assert services["call-1"]["image"] == services["call-2"]["image"]
    assert services["scheduler"]["command"] == ["campaign", "scheduler"]
    for dialer in ("dialer-1", "dialer-2"):
        assert services[dialer]["command"][:2] == ["campaign", "dialer"]
    redis_command = services["redis"]["command"]
    assert redis_command[redis_command.index("--appendonly") + 1] == "yes"
    assert services["postgres"]["image"].split(":")[1].startswith("16")
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services["postgres"]["volumes"])
    for name, service in services.items():
        for dependency, how in service.get("depends_on", {}).items():
            assert dependency in services, (name, dependency)
            if how["condition"] == "service_healthy":
                assert "test" in services[dependency].get("healthcheck", {}), (name, dependency)
        environment = service.get("environment", {})
        if service.get("image", "").startswith("${IMAGE"):
            assert set(k for k in environment if k.startswith("CARECALL_")) <= SETTING_KEYS, name
            assert environment["CARECALL_HOST"] == "0.0.0.0"
            assert environment["CARECALL_REDIS_URL"].startswith("redis://redis:")
            assert "@postgres:5432/" in environment["CARECALL_DATABASE_URL"]
    for name in ("call-1", "call-2"):
        assert "/ready" in " ".join(services[name]["healthcheck"]["test"])
    values, _ = env_example()
    used = set(re.findall(r"\$\{([A-Z_]+)", (DEPLOY / "compose.yaml").read_text(encoding="utf-8")))
    assert used <= set(values), "compose.yaml interpolates variables deploy/.env.example does not define"


def test_caddy_proxies_both_call_servers_health_checked_on_ready():
    compose = load_compose()
    caddyfile = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert any(v.startswith("./Caddyfile:/etc/caddy/Caddyfile") for v in compose["services"]["caddy"]["volumes"])
    upstreams = re.search(r"^\s*reverse_proxy\s+(.+?)\s*\{", caddyfile, re.M)[1].split()
    assert sorted(u.split(":")[0] for u in upstreams) == ["call-1", "call-2"]
    assert all(u.endswith(":8765") for u in upstreams)
    assert re.search(r"^\s*health_uri\s+/ready\s*$", caddyfile, re.M)
    # calls are spread over both servers: stream tokens are shared through Redis, which compose configures
    assert re.search(r"^\s*lb_policy\s+least_conn\s*$", caddyfile, re.M)
    for server in ("call-1", "call-2"):
        assert compose["services"][server]["environment"]["CARECALL_REDIS_URL"].startswith("redis://")
    assert "{$PUBLIC_HOST}" in caddyfile and "PUBLIC_HOST" in compose["services"]["caddy"]["environment"]


# --- deploy/k8s: rendered as kustomize would, validated against the Kubernetes schemas ----------------------

def _pointer(path: str) -> list[str]:
    return [part.replace("~1", "/").replace("~0", "~") for part in path.lstrip("/").split("/")]


def _apply_json_patch(doc: dict, operations: list[dict]) -> None:
    """The JSON-patch operations the overlays use (RFC 6902 add, replace, remove)."""
    for op in operations:
        *parents, last = _pointer(op["path"])
        node = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        key = int(last) if isinstance(node, list) and last != "-" else last
        if op["op"] == "remove":
            del node[key]  # KeyError/IndexError: kustomize fails on a missing path too
        elif op["op"] == "replace":
            node[key]  # must exist
            node[key] = op["value"]
        elif op["op"] == "add":
            if isinstance(node, list):
                node.append(op["value"]) if key == "-" else node.insert(key, op["value"])
            else:
                node[key] = op["value"]
        else:
            raise AssertionError(f"unsupported patch operation {op['op']}")


def _matches(doc: dict, target: dict) -> bool:
    group, _, version = doc["apiVersion"].rpartition("/")
    wanted = {"group": group, "version": version, "kind": doc["kind"], "name": doc["metadata"]["name"]}
    return all(wanted[k] == v for k, v in target.items())


def render(directory: Path) -> list[dict]:
    """kustomize build, for what these kustomizations use: resources, labels, images, JSON patches."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text(encoding="utf-8"))
    assert set(kustomization) <= {"apiVersion", "kind", "resources", "labels", "images", "patches"}, directory
    docs: list[dict] = []
    for resource in kustomization["resources"]:
        path = (directory / resource).resolve()
        if path.is_dir():
            docs += render(path)
        else:
            docs += [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    docs = copy.deepcopy(docs)
    for label in kustomization.get("labels", []):
        for doc in docs:
            doc["metadata"].setdefault("labels", {}).update(label["pairs"])
    for image in kustomization.get("images", []):
        for doc in docs:
            for container in doc.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
                if container["image"].split(":")[0] == image["name"]:
                    container["image"] = f"{image.get('newName', image['name'])}:{image['newTag']}"
    for patch in kustomization.get("patches", []):
        hits = [doc for doc in docs if _matches(doc, patch["target"])]
        assert hits, f"patch target {patch['target']} matches nothing"
        for doc in hits:
            _apply_json_patch(doc, yaml.safe_load(patch["patch"]))
    return docs


def by_kind(docs: list[dict], kind: str, name: str) -> dict:
    [doc] = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc


def validate_all(docs: list[dict]) -> None:
    for doc in docs:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("overlay", ["base", "overlays/cpu"])
def test_kustomizations_render_to_valid_kubernetes_objects(overlay):
    docs = render(K8S / overlay)
    assert len(docs) >= 7
    validate_all(docs)
    assert all("namespace" not in d["metadata"] for d in docs), "the base is namespace-agnostic"


def test_secret_template_is_valid_and_holds_no_real_secret():
    [secret] = list(yaml.safe_load_all((K8S / "secret.example.yaml").read_text(encoding="utf-8")))
    validate_all([secret])
    assert set(secret["stringData"]) <= SETTING_KEYS
    for key in ("CARECALL_DATABASE_URL", "CARECALL_REDIS_URL", "CARECALL_TWILIO_AUTH_TOKEN"):
        assert "CHANGE_ME" in secret["stringData"][key]


def test_a_broken_manifest_is_refused():
    """The validation has teeth: a misspelt field and a wrong type are both caught."""
    docs = render(K8S / "base")
    call = copy.deepcopy(by_kind(docs, "Deployment", "carecall-call"))
    call["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate_all([call])
    call = copy.deepcopy(by_kind(docs, "Deployment", "carecall-call"))
    call["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate_all([call])
    compose = load_compose()
    compose["services"]["redis"]["restart_policy"] = "always"
    schema = json.loads((Path(__file__).parent / "compose-spec.json").read_text(encoding="utf-8"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(compose)


def test_call_servers_gpu_probes_and_graceful_stop():
    base, cpu = render(K8S / "base"), render(K8S / "overlays/cpu")
    call = by_kind(base, "Deployment", "carecall-call")["spec"]["template"]["spec"]
    container = call["containers"][0]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert call["nodeSelector"] and any(t["key"] == "nvidia.com/gpu" for t in call["tolerations"])
    assert container["image"] == "carecall:cuda"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert Settings.model_fields["max_call_s"].default + 10 + 30 < call["terminationGracePeriodSeconds"]
    assert container["lifecycle"]["preStop"]["exec"]["command"][:2] == ["python", "/opt/carecall/drain.py"]

    cpu_call = by_kind(cpu, "Deployment", "carecall-call")["spec"]["template"]["spec"]
    assert "nvidia.com/gpu" not in cpu_call["containers"][0]["resources"]["limits"]
    assert "nodeSelector" not in cpu_call and "tolerations" not in cpu_call
    assert cpu_call["containers"][0]["image"] == "carecall:cpu"
    assert cpu_call["containers"][0]["readinessProbe"] == container["readinessProbe"]

    pods = by_kind(base, "Deployment", "carecall-call")["spec"]["template"]["metadata"]["labels"]
    budget = by_kind(base, "PodDisruptionBudget", "carecall-call")["spec"]["selector"]["matchLabels"]
    service = by_kind(base, "Service", "carecall-call")["spec"]
    assert budget.items() <= pods.items() and service["selector"].items() <= pods.items()
    assert service["ports"][0]["targetPort"] in ("http", 8765)


def test_scheduler_and_dialers():
    docs = render(K8S / "base")
    scheduler = by_kind(docs, "Deployment", "carecall-scheduler")["spec"]
    dialer = by_kind(docs, "Deployment", "carecall-dialer")["spec"]
    assert scheduler["replicas"] == 1 and dialer["replicas"] == 2
    assert scheduler["template"]["spec"]["containers"][0]["args"] == ["campaign", "scheduler"]
    assert dialer["template"]["spec"]["containers"][0]["args"][:2] == ["campaign", "dialer"]


def test_every_pod_reads_real_settings_from_the_configmap_and_secret():
    docs = render(K8S / "base")
    [configmap] = [d for d in docs if d["kind"] == "ConfigMap"]
    secret = yaml.safe_load((K8S / "secret.example.yaml").read_text(encoding="utf-8"))
    assert set(configmap["data"]) <= SETTING_KEYS
    values, _ = env_example()
    for key, value in configmap["data"].items():
        if key not in DEPLOYMENT_VALUES | IMAGE_VALUES:
            assert value == values[key], f"{key}: the ConfigMap says {value!r}, deploy/.env.example {values[key]!r}"
    for deployment in (d for d in docs if d["kind"] == "Deployment"):
        spec = deployment["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        for container in spec["containers"]:
            assert {e["name"] for e in container.get("env", [])} <= SETTING_KEYS
            sources = {next(iter(s)): s[next(iter(s))]["name"] for s in container["envFrom"]}
            assert sources == {"configMapRef": configmap["metadata"]["name"], "secretRef": secret["metadata"]["name"]}


# --- Dockerfiles ---------------------------------------------------------------------------------------------

def dockerfile_stages(path: Path) -> list[list[tuple[str, str]]]:
    """Instructions (NAME, arguments) per build stage; continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", "\n".join(
        line for line in path.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("#")))
    stages: list[list[tuple[str, str]]] = [[]]
    for line in filter(str.strip, text.splitlines()):
        name, _, args = line.strip().partition(" ")
        if name.upper() == "FROM":
            stages.append([])
        stages[-1].append((name.upper(), " ".join(args.split())))
    return stages


def _env(stage: list[tuple[str, str]]) -> dict[str, str]:
    env = {}
    for name, args in stage:
        if name == "ENV":
            env.update(item.split("=", 1) for item in shlex.split(args))
    return env


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "Dockerfile.cuda"])
def test_dockerfile_builds_models_in_and_runs_unprivileged(dockerfile):
    stages = dockerfile_stages(DEPLOY / dockerfile)
    runtime = stages[-1]
    assert len(stages) >= 3, "a multi-stage build"
    build_stages = [s for s in stages[1:-1] if any(n == "RUN" and "asr.models" in a for n, a in s)]
    assert build_stages, "no RUN step assembles the models"
    [build] = build_stages
    run = " ".join(a for n, a in build if n == "RUN")
    assert "python -m asr.models" in run and "from tts.kokoro_model import model_path" in run
    models = _env(build)["CARECALL_MODELS_DIR"]
    assert _env(runtime)["CARECALL_MODELS_DIR"] == models
    assert any(n == "COPY" and "--from=build" in a and models.startswith(a.split()[-1]) for n, a in runtime)
    users = [a for n, a in runtime if n == "USER"]
    assert users and users[-1] not in ("root", "0")
    [healthcheck] = [a for n, a in runtime if n == "HEALTHCHECK"]
    assert "/health" in healthcheck
    assert ("EXPOSE", "8765") in runtime
    assert ("ENTRYPOINT", '["carecall"]') in runtime and ("CMD", '["serve"]') in runtime
    # BuildKit's <Dockerfile>.dockerignore: everything is left out but what the image copies
    ignore = (DEPLOY / f"{dockerfile}.dockerignore").read_text(encoding="utf-8").splitlines()
    assert "*" in ignore
    kept = {line[1:] for line in ignore if line.startswith("!")}
    for name, args in (i for stage in stages for i in stage):
        if name == "COPY" and not args.startswith("--from"):
            for source in args.split()[:-1]:
                assert (ROOT / source).exists(), source
                assert source in kept, f"{source} is copied but left out of the build context"


def test_the_model_assembly_the_images_run_exists():
    import asr.models
    import tts.kokoro_model

    assert callable(asr.models.main) and callable(tts.kokoro_model.model_path)
    assert "CARECALL_MODELS_DIR" in Path(asr.models.__file__).read_text(encoding="utf-8")
    assert "CARECALL_MODELS_DIR" in Path(tts.kokoro_model.__file__).read_text(encoding="utf-8")


def test_torch_pins():
    pin = (ROOT / "scripts/constraints-cpu.txt").read_text(encoding="utf-8").split()[0]
    assert re.fullmatch(r"torch==[\d.]+", pin)
    cpu = " ".join(a for s in dockerfile_stages(DEPLOY / "Dockerfile") for n, a in s if n == "RUN")
    assert "download.pytorch.org/whl/cpu -c scripts/constraints-cpu.txt torch" in cpu
    cuda = " ".join(a for s in dockerfile_stages(DEPLOY / "Dockerfile.cuda") for n, a in s if n == "RUN")
    assert re.search(r"download\.pytorch\.org/whl/\$\{TORCH_CUDA\}\" " + re.escape(pin), cuda)
    assert "nvidia/cuda:" in (DEPLOY / "Dockerfile.cuda").read_text(encoding="utf-8")


def test_the_installed_package_carries_every_data_file():
    """The images install the wheel, not the source tree: every non-Python file in the packages must be
    matched by [tool.setuptools.package-data] (setuptools globs each package's patterns in its folder)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    patterns = config["package-data"]
    roots = [p.rstrip("*") for p in config["packages"]["find"]["include"]]
    covered, files = set(), set()
    for root in roots:
        for folder in [ROOT / root, *(d for d in (ROOT / root).rglob("*") if d.is_dir())]:
            if "__pycache__" in folder.parts:
                continue
            package = ".".join(folder.relative_to(ROOT).parts)
            for pattern in patterns.get("*", []) + patterns.get(package, []):
                covered.update(folder.glob(pattern))
            files.update(f for f in folder.iterdir() if f.is_file() and f.suffix not in (".py", ".pyc"))
    assert sorted(str(f.relative_to(ROOT)) for f in files - covered) == []


# --- the drain hook and scripts/bootstrap.sh ---------------------------------------------------------------

def test_drain_counts_the_connections_to_the_server_port():
    sys.path.insert(0, str(DEPLOY))
    try:
        import drain
    finally:
        sys.path.remove(str(DEPLOY))
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        assert drain.open_connections(port) == 0
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = server.accept()
        assert drain.open_connections(port) == 1
        client.close(), accepted.close()
        assert drain.open_connections(port) == 0
        assert drain.main(["--port", str(port), "--lb-delay", "0", "--max-wait", "5"]) == 0


@pytest.fixture
def bootstrap_copy(tmp_path):
    """scripts/bootstrap.sh in a copy of the project whose .venv python records the pip commands."""
    (tmp_path / "scripts").mkdir()
    for name in ("scripts/bootstrap.sh", "scripts/constraints-cpu.txt", "pyproject.toml"):
        (tmp_path / name).write_bytes((ROOT / name).read_bytes())
    fake = tmp_path / ".venv/bin/python"
    fake.parent.mkdir(parents=True)
    fake.write_text('#!/bin/sh\necho "$*" >> "$(dirname "$0")/../pip.log"\n')
    fake.chmod(0o755)

    def run(*args: str) -> tuple[int, list[str]]:
        (tmp_path / ".venv/pip.log").unlink(missing_ok=True)
        done = subprocess.run(["bash", "scripts/bootstrap.sh", *args], cwd=tmp_path, capture_output=True,
                              text=True, env={**os.environ, "PYTHON": sys.executable}, timeout=60)
        log = tmp_path / ".venv/pip.log"
        return done.returncode, log.read_text().splitlines() if log.exists() else []

    return run


def test_bootstrap_gpu_installs_the_cuda_torch_and_plain_runs_keep_it(bootstrap_copy):
    version = (ROOT / "scripts/constraints-cpu.txt").read_text().split()[0].removeprefix("torch==")
    rc, pip = bootstrap_copy()
    assert rc == 0 and pip[1] == "-m pip install -c scripts/constraints-cpu.txt torch"
    assert bootstrap_copy() == (0, [])  # nothing to do the second time
    rc, pip = bootstrap_copy("--gpu")
    assert rc == 0
    assert pip[1] == f"-m pip install --index-url https://download.pytorch.org/whl/cu128 torch=={version}+cu128"
    assert pip[2].startswith("-m pip install -c scripts/constraints-cpu.txt -e .[test,nemo,tts]")
    assert bootstrap_copy("--gpu") == (0, [])
    assert bootstrap_copy() == (0, [])  # a plain run (scripts/test.sh) leaves the CUDA build alone
    assert bootstrap_copy("--cpu")[0] == 2
