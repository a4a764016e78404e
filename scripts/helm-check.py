#!/usr/bin/env python3
"""Checks the Helm chart (helm/pulse) with real Helm and real Kubernetes schemas, offline.

    python3 scripts/helm-check.py

Needs `pip install helm-python-sdk kubernetes-validate` (scripts/test.sh installs them): helm_python is Helm
v4's own SDK as a library (lint, schema validation and rendering exactly as `helm install` does them, no
cluster), kubernetes_validate the OpenAPI schemas of Kubernetes 1.30.

It lints the chart and renders it with the defaults, with `mode: embedded`, and with the values files under
helm/pulse/ci/ that turn every optional part on; every rendered manifest (NOTES.txt aside) must validate
against Kubernetes 1.30 in strict mode (unknown fields are errors). Then it asserts what matters about the
output: probes, security contexts, replicas, the two modes' shapes, the config file, the rolling checksum,
the test pod, and that values breaking values.schema.json are refused. Exits non-zero on any failure.
"""

from __future__ import annotations

import copy
import hashlib
import os
import subprocess
import sys
import tempfile
import tomllib
import traceback
from pathlib import Path
from typing import Any, Callable

import helm_python as helm
import jsonschema
import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "helm" / "pulse"
KUBE_VERSION = "1.30"
RELEASE = "pulse-ci"
NAMESPACE = "trends"
CONFIG_PATH = "/etc/pulse/pulse.toml"

# ServiceMonitor is a CRD of the Prometheus operator, so Kubernetes' own schemas do not have it. This is
# the subset of its published schema that the chart uses, with unknown fields refused.
SERVICE_MONITOR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "ServiceMonitor"},
        "metadata": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string"}, "namespace": {"type": "string"},
                           "labels": {"type": "object", "additionalProperties": {"type": "string"}}},
        },
        "spec": {
            "type": "object",
            "required": ["selector", "endpoints"],
            "additionalProperties": False,
            "properties": {
                "selector": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"matchLabels": {"type": "object", "additionalProperties": {"type": "string"}}},
                },
                "namespaceSelector": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"any": {"type": "boolean"},
                                   "matchNames": {"type": "array", "items": {"type": "string"}}},
                },
                "endpoints": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "port": {"type": "string"},
                            "path": {"type": "string"},
                            "scheme": {"enum": ["http", "https"]},
                            "interval": {"type": "string", "pattern": "^(0|(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"},
                            "scrapeTimeout": {"type": "string", "pattern": "^(0|(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"},
                        },
                    },
                },
            },
        },
    },
}


# --------------------------------------------------------------------------------------------------
# Rendering helpers
# --------------------------------------------------------------------------------------------------

_chart: helm.Chart | None = None


def chart() -> helm.Chart:
    global _chart
    if _chart is None:
        _chart = helm.Chart.load(str(CHART))
    return _chart


def values_file(name: str) -> dict[str, Any]:
    """A values file under helm/pulse/ci/, parsed by Helm's own YAML reader (as `-f FILE` is)."""
    return helm.values_from_yaml((CHART / "ci" / name).read_text())


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


class Render:
    """One rendering of the chart: its manifests as parsed objects."""

    def __init__(self, values: dict[str, Any], name: str = RELEASE, namespace: str = NAMESPACE):
        self.values = values
        self.merged = chart().merge_values(values)
        self.files = chart().render(values, name=name, namespace=namespace)
        self.docs: list[tuple[str, dict[str, Any]]] = []
        for path, text in sorted(self.files.items()):
            if path.endswith("NOTES.txt"):
                continue
            for doc in yaml.safe_load_all(text):
                if doc:
                    self.docs.append((path, doc))

    def kind(self, kind: str) -> list[dict[str, Any]]:
        return [d for _, d in self.docs if d.get("kind") == kind]

    def component(self, kind: str, component: str) -> list[dict[str, Any]]:
        return [d for d in self.kind(kind)
                if d["metadata"].get("labels", {}).get("app.kubernetes.io/component") == component]

    def one(self, kind: str, component: str) -> dict[str, Any]:
        found = self.component(kind, component)
        assert len(found) == 1, f"expected exactly one {kind} for component {component!r}, found {len(found)}"
        return found[0]

    def named(self, kind: str, name: str) -> dict[str, Any]:
        found = [d for d in self.kind(kind) if d["metadata"]["name"] == name]
        assert len(found) == 1, f"expected one {kind} named {name!r}, found {len(found)}"
        return found[0]

    def main_configmap(self) -> dict[str, Any]:
        """The release's ConfigMap (not the topics Job's hook copy)."""
        found = [d for d in self.kind("ConfigMap") if "helm.sh/hook" not in d["metadata"].get("annotations", {})]
        assert len(found) == 1, f"expected one ConfigMap outside hooks, found {len(found)}"
        return found[0]

    def config(self) -> dict[str, Any]:
        text = self.main_configmap()["data"]["pulse.toml"]
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise AssertionError(f"pulse.toml is not valid TOML ({e}):\n{text}") from e

    def pod_specs(self) -> list[tuple[str, dict[str, Any]]]:
        """(description, pod spec) of every workload: Deployments, Jobs and bare Pods (the test pod)."""
        out = []
        for _, d in self.docs:
            name = f"{d['kind']}/{d['metadata']['name']}"
            if d["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
                out.append((name, d["spec"]["template"]["spec"]))
            elif d["kind"] == "Pod":
                out.append((name, d["spec"]))
        return out

    def pulse_workloads(self) -> list[dict[str, Any]]:
        """Deployments and Jobs running the pulse image."""
        return [d for d in self.kind("Deployment") + self.kind("Job")
                if any(c["image"].split("@")[0].rsplit(":", 1)[0] == self.merged["image"]["repository"]
                       for c in d["spec"]["template"]["spec"]["containers"])]


def deployment_args(d: dict[str, Any]) -> list[str]:
    return d["spec"]["template"]["spec"]["containers"][0].get("args", [])


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


_renders: dict[str, Render] = {}


def rendered(label: str) -> Render:
    """The named standard renderings, cached."""
    if label not in _renders:
        values = {
            "defaults": {},
            "embedded": {"mode": "embedded"},
            "all-on": values_file("all-on-values.yaml"),
            "embedded-all-on": values_file("embedded-all-on-values.yaml"),
        }[label]
        _renders[label] = Render(values)
    return _renders[label]


STANDARD = ["defaults", "embedded", "all-on", "embedded-all-on"]


# --------------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------------

def check_lint() -> None:
    """helm lint (Kubernetes 1.30) reports no errors or warnings for every standard values set."""
    for label in STANDARD:
        values = {"defaults": None, "embedded": {"mode": "embedded"}}.get(label, rendered(label).values)
        report = helm.lint(str(CHART), values, kube_version=f"v{KUBE_VERSION}.0", namespace=NAMESPACE)
        bad = [m for m in report["messages"] if m["severity"] >= 2]
        assert not report["errors"] and not bad, f"helm lint ({label}): {report['errors']} {bad}"


def check_schema_accepts_standard_values() -> None:
    """The defaults and every ci/ values file pass values.schema.json."""
    for label in STANDARD:
        chart().validate_schema(rendered(label).values)


def check_manifests_validate() -> None:
    """Every rendered manifest validates against Kubernetes 1.30 (strict: unknown fields are errors)."""
    for label in STANDARD:
        r = rendered(label)
        assert r.docs, f"{label}: nothing rendered"
        for path, doc in r.docs:
            where = f"{label}: {path} ({doc.get('kind')}/{doc.get('metadata', {}).get('name')})"
            if doc.get("apiVersion") == "monitoring.coreos.com/v1":
                try:
                    jsonschema.validate(doc, SERVICE_MONITOR_SCHEMA)
                except jsonschema.ValidationError as e:
                    raise AssertionError(f"{where}: {e.message}") from e
                continue
            try:
                kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)
            except kubernetes_validate.SchemaNotFoundError as e:
                raise AssertionError(f"{where}: no Kubernetes {KUBE_VERSION} schema for this kind") from e
            except kubernetes_validate.ValidationError as e:
                raise AssertionError(f"{where}: {e.message} at {list(e.absolute_path)}") from e


def check_names_and_namespaces() -> None:
    """Objects sit in the release namespace; names and label values fit 63 characters even for a
    53-character release name (Helm's maximum)."""
    for label in STANDARD:
        for path, doc in rendered(label).docs:
            assert doc["metadata"].get("namespace") == NAMESPACE, f"{label}: {path} has no namespace {NAMESPACE}"
    long_name = "a-very-long-release-name-that-is-53-characters-long-x"
    assert len(long_name) == 53
    r = Render(values_file("all-on-values.yaml"), name=long_name)
    for path, doc in r.docs:
        name = doc["metadata"]["name"]
        assert len(name) <= 63, f"{path}: name {name!r} is {len(name)} characters"
        for k, v in doc["metadata"].get("labels", {}).items():
            assert len(str(v)) <= 63, f"{path}: label {k}={v!r} is too long"


def _named_port(container: dict[str, Any], name: str) -> int:
    for p in container.get("ports", []):
        if p.get("name") == name:
            return p["containerPort"]
    raise AssertionError(f"container {container['name']} has no port named {name!r}")


def check_probes() -> None:
    """Every Pulse container probes GET /healthz (liveness, startup) and /readyz (readiness) on the
    port it listens on, and that port is the one pulse.toml's [http] listen names."""
    for label in STANDARD:
        r = rendered(label)
        listen = r.config()["http"]["listen"]
        listen_port = int(listen.rsplit(":", 1)[1])
        assert listen.startswith("0.0.0.0:"), f"{label}: [http] listen {listen!r} must bind all interfaces"
        deployments = r.kind("Deployment")
        assert deployments, f"{label}: no Deployments"
        for d in deployments:
            for c in d["spec"]["template"]["spec"]["containers"]:
                where = f"{label}: Deployment/{d['metadata']['name']} container {c['name']}"
                expected = {"livenessProbe": "/healthz", "readinessProbe": "/readyz", "startupProbe": "/healthz"}
                for probe, path in expected.items():
                    assert probe in c, f"{where}: no {probe}"
                    get = c[probe].get("httpGet")
                    assert get, f"{where}: {probe} is not an HTTP GET"
                    assert get["path"] == path, f"{where}: {probe} path is {get['path']!r}, want {path!r}"
                    port = get["port"]
                    number = _named_port(c, port) if isinstance(port, str) else port
                    assert number == listen_port, (
                        f"{where}: {probe} port {port!r} is {number}, but pulse listens on {listen_port}")


def _effective(pod: dict[str, Any], container: dict[str, Any], key: str) -> Any:
    csc = container.get("securityContext") or {}
    if key in csc:
        return csc[key]
    return (pod.get("securityContext") or {}).get(key)


def check_security_contexts() -> None:
    """Every container the chart runs (Pulse, the topics Job, the test pod): non-root, read-only root
    filesystem, no privilege escalation, all capabilities dropped, seccomp RuntimeDefault."""
    for label in STANDARD:
        specs = rendered(label).pod_specs()
        assert specs, f"{label}: no workloads"
        for name, pod in specs:
            for c in pod.get("initContainers", []) + pod["containers"]:
                where = f"{label}: {name} container {c['name']}"
                csc = c.get("securityContext") or {}
                assert _effective(pod, c, "runAsNonRoot") is True, f"{where}: runAsNonRoot is not true"
                uid = _effective(pod, c, "runAsUser")
                assert uid is not None and uid != 0, f"{where}: runAsUser is {uid!r}, want a non-zero uid"
                assert csc.get("readOnlyRootFilesystem") is True, f"{where}: readOnlyRootFilesystem is not true"
                assert csc.get("allowPrivilegeEscalation") is False, f"{where}: allowPrivilegeEscalation is not false"
                assert csc.get("privileged") in (None, False), f"{where}: privileged"
                drop = (csc.get("capabilities") or {}).get("drop") or []
                assert "ALL" in drop, f"{where}: capabilities.drop is {drop}, want ALL"
                assert not (csc.get("capabilities") or {}).get("add"), f"{where}: adds capabilities"
                seccomp = (_effective(pod, c, "seccompProfile") or {}).get("type")
                assert seccomp == "RuntimeDefault", f"{where}: seccompProfile is {seccomp!r}, want RuntimeDefault"


def check_writable_paths() -> None:
    """With a read-only root filesystem, every Pulse container has /tmp on a volume, HOME pointing there,
    the config mounted where --config says, and (serve, query) its data directory on a volume."""
    for label in STANDARD:
        r = rendered(label)
        state_dir = r.config()["index"]["state_dir"]
        for d in r.pulse_workloads():
            pod = d["spec"]["template"]["spec"]
            volumes = {v["name"]: v for v in pod.get("volumes", [])}
            c = pod["containers"][0]
            where = f"{label}: {d['kind']}/{d['metadata']['name']}"
            mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
            for m in mounts.values():
                assert m["name"] in volumes, f"{where}: mount {m['mountPath']} names no volume {m['name']!r}"
            assert "/tmp" in mounts, f"{where}: /tmp is not a volume"
            env = {e["name"]: e.get("value") for e in c.get("env", [])}
            assert env.get("HOME") == "/tmp", f"{where}: HOME is {env.get('HOME')!r}, want /tmp"
            args = c.get("args", [])
            assert "--config" in args and args[args.index("--config") + 1] == CONFIG_PATH, \
                f"{where}: args {args} do not pass --config {CONFIG_PATH}"
            cfg_mount = mounts.get(CONFIG_PATH)
            assert cfg_mount, f"{where}: nothing mounted at {CONFIG_PATH}"
            cm_name = volumes[cfg_mount["name"]]["configMap"]["name"]
            cm = r.named("ConfigMap", cm_name)
            assert cfg_mount.get("subPath") in cm["data"], f"{where}: {CONFIG_PATH} is not a key of ConfigMap {cm_name}"
            if args[0] in ("serve", "query"):
                assert state_dir in mounts, f"{where}: state_dir {state_dir} is not a volume"


def check_ingest_replicas_honoured() -> None:
    """ingest.replicas sets the ingest Deployment's replicas."""
    assert rendered("defaults").one("Deployment", "ingest")["spec"]["replicas"] == 2, "default ingest replicas is not 2"
    for n in (3, 7):
        d = Render({"ingest": {"replicas": n}}).one("Deployment", "ingest")
        assert d["spec"]["replicas"] == n, f"ingest.replicas={n} rendered replicas {d['spec'].get('replicas')}"
    q = Render({"query": {"replicas": 5}}).one("Deployment", "query")
    assert q["spec"]["replicas"] == 5, f"query.replicas=5 rendered {q['spec'].get('replicas')}"


def check_embedded_mode() -> None:
    """mode: embedded renders exactly one Deployment (replica 1, Recreate) running `pulse serve` with its
    data directory on a PersistentVolumeClaim, and no ingest/query Deployments, HPA, PDB or topics Job."""
    for label in ("embedded", "embedded-all-on"):
        r = rendered(label)
        deployments = r.kind("Deployment")
        assert len(deployments) == 1, f"{label}: {len(deployments)} Deployments, want 1"
        d = deployments[0]
        args = deployment_args(d)
        assert args[:1] == ["serve"], f"{label}: the Deployment runs {args}, want serve"
        assert d["spec"]["replicas"] == 1, f"{label}: serve replicas {d['spec']['replicas']}"
        assert d["spec"].get("strategy", {}).get("type") == "Recreate", f"{label}: serve must use Recreate (RWO claim)"
        for comp in ("ingest", "query"):
            assert not r.component("Deployment", comp), f"{label}: renders a {comp} Deployment"
        for kind in ("HorizontalPodAutoscaler", "PodDisruptionBudget", "Job"):
            assert not r.kind(kind), f"{label}: renders a {kind}"
        cfg = r.config()
        assert "serve" in cfg and "kafka" not in cfg, f"{label}: pulse.toml sections {sorted(cfg)}"
        pod = d["spec"]["template"]["spec"]
        c = pod["containers"][0]
        state_dir = cfg["index"]["state_dir"]
        mount = next((m for m in c["volumeMounts"] if m["mountPath"] == state_dir), None)
        assert mount, f"{label}: nothing mounted at state_dir {state_dir}"
        volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
        claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
        assert claim, f"{label}: state_dir {state_dir} is not on a PersistentVolumeClaim: {volume}"
        pvc = r.named("PersistentVolumeClaim", claim)
        assert pvc["spec"]["accessModes"] == ["ReadWriteOnce"], f"{label}: claim access modes {pvc['spec']['accessModes']}"
        env = {e["name"]: e.get("value") for e in c["env"]}
        cache = env.get("PULSE_CACHE_DIR", "")
        assert cache.startswith(state_dir.rstrip("/") + "/"), f"{label}: PULSE_CACHE_DIR {cache!r} is not on the claim"
        svc = r.named("Service", d["metadata"]["name"].removesuffix("-serve"))
        assert selects(svc["spec"]["selector"], pod_labels(d)), f"{label}: the Service does not select the serve pod"
    # The replay settings, the checkpoint interval, and the live source when set, reach [serve].
    serve = rendered("embedded-all-on").config()["serve"]
    want = {"replay": ["boston-west", "crisislex-t6"], "speed": 600.5, "loop": 2, "workers": 2,
            "jetstream": "wss://jetstream.example.com/subscribe", "checkpoint_interval": "2m"}
    assert serve == want, serve
    serve = rendered("embedded").config()["serve"]
    assert "jetstream" not in serve, "jetstream: \"\" must leave the key out (a replay)"
    assert serve["speed"] == 3600.0 and isinstance(serve["speed"], float), f"speed {serve['speed']!r} not a float"
    assert "workers" not in serve, "workers: 0 must leave the key out (one per core)"
    assert serve["checkpoint_interval"] == "30s", f"checkpoint_interval {serve['checkpoint_interval']!r}"
    # Persistence off: an emptyDir, no claim. An existing claim: used, none created.
    r = Render({"mode": "embedded", "embedded": {"persistence": {"enabled": False}}})
    assert not r.kind("PersistentVolumeClaim"), "persistence.enabled=false still renders a claim"
    r = Render({"mode": "embedded", "embedded": {"persistence": {"existingClaim": "mine"}}})
    assert not r.kind("PersistentVolumeClaim"), "existingClaim still renders a claim"
    vols = r.kind("Deployment")[0]["spec"]["template"]["spec"]["volumes"]
    assert any((v.get("persistentVolumeClaim") or {}).get("claimName") == "mine" for v in vols), "existingClaim unused"


def pod_labels(d: dict[str, Any]) -> dict[str, str]:
    return d["spec"]["template"]["metadata"]["labels"]


def check_distributed_mode() -> None:
    """mode: distributed (the default) renders `pulse ingest` and `pulse query` Deployments, the API
    Service in front of the query nodes, and a PodDisruptionBudget for each; no claim, no serve."""
    for label in ("defaults", "all-on"):
        r = rendered(label)
        ingest, query = r.one("Deployment", "ingest"), r.one("Deployment", "query")
        assert deployment_args(ingest)[:1] == ["ingest"], f"{label}: ingest runs {deployment_args(ingest)}"
        assert deployment_args(query)[:1] == ["query"], f"{label}: query runs {deployment_args(query)}"
        assert len(r.kind("Deployment")) == 2, f"{label}: {len(r.kind('Deployment'))} Deployments, want 2"
        assert not r.kind("PersistentVolumeClaim"), f"{label}: distributed mode renders a claim"
        for d in (ingest, query):
            assert selects(d["spec"]["selector"]["matchLabels"], pod_labels(d)), f"{label}: selector/pod labels"
        api = r.one("Service", "query")
        assert api["spec"].get("clusterIP") != "None", f"{label}: the API Service is headless"
        assert selects(api["spec"]["selector"], pod_labels(query)), f"{label}: API Service does not select query pods"
        assert not selects(api["spec"]["selector"], pod_labels(ingest)), f"{label}: API Service selects ingest pods"
        assert api["spec"]["ports"][0]["targetPort"] == "http", f"{label}: API Service targetPort"
        pdbs = r.kind("PodDisruptionBudget")
        for d in (ingest, query):
            assert sum(selects(p["spec"]["selector"]["matchLabels"], pod_labels(d)) for p in pdbs) == 1, \
                f"{label}: not exactly one PodDisruptionBudget for {d['metadata']['name']}"
        # The query index lives on an emptyDir (rebuilt from Kafka).
        state_dir = r.config()["index"]["state_dir"]
        pod = query["spec"]["template"]["spec"]
        mount = next(m for m in pod["containers"][0]["volumeMounts"] if m["mountPath"] == state_dir)
        volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
        assert "emptyDir" in volume, f"{label}: query index volume is {volume}"


def check_config_toml() -> None:
    """The ConfigMap's pulse.toml parses as TOML and carries the values: kafka.bootstrapServers as
    [kafka] brokers, the topics, librdkafka properties (as strings) and the TLS file locations."""
    cfg = rendered("defaults").config()
    assert cfg["kafka"]["brokers"] == "kafka:9092", cfg["kafka"]
    assert "serve" not in cfg, "distributed pulse.toml has a [serve] section"
    servers = "b-1.kafka.internal:9092,b-2.kafka.internal:9092"
    cfg = Render({"kafka": {"bootstrapServers": servers, "topics": {"posts": "firehose"}, "group": "g1"}}).config()
    assert cfg["kafka"]["brokers"] == servers, f"brokers {cfg['kafka']['brokers']!r}, want {servers!r}"
    assert cfg["kafka"]["posts_topic"] == "firehose" and cfg["kafka"]["group"] == "g1", cfg["kafka"]
    cfg = rendered("all-on").config()
    k = cfg["kafka"]
    assert k["brokers"] == "my-cluster-kafka-bootstrap.kafka.svc:9093", k
    assert (k["partitions"], k["replication_factor"]) == (12, 3), k
    assert set(k) >= {"posts_topic", "rollups_topic", "dlq_topic", "group", "flush_interval"}, sorted(k)
    props = k["properties"]
    expected = {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "client.id": 'pulse "ci"',
        "enable.idempotence": "true",
        "socket.timeout.ms": "30000",
        "ssl.ca.location": "/etc/pulse/kafka-tls/ca.crt",
        "ssl.certificate.location": "/etc/pulse/kafka-tls/user.crt",
        "ssl.key.location": "/etc/pulse/kafka-tls/user.key",
    }
    assert props == expected, f"[kafka.properties] is {props}, want {expected}"
    # Secrets come from the Secret as PULSE_KAFKA_* variables, TLS files from a Secret volume.
    r = rendered("all-on")
    for d in [r.one("Deployment", "ingest"), r.one("Deployment", "query"), r.one("Job", "topics")]:
        pod = d["spec"]["template"]["spec"]
        c = pod["containers"][0]
        refs = [e["secretRef"]["name"] for e in c.get("envFrom", []) if "secretRef" in e]
        assert refs == ["pulse-kafka-credentials"], f"{d['metadata']['name']}: envFrom secrets {refs}"
        tls = [v for v in pod["volumes"] if (v.get("secret") or {}).get("secretName") == "my-cluster-cluster-ca-cert"]
        assert tls, f"{d['metadata']['name']}: no Kafka TLS Secret volume"
        assert any(m["name"] == tls[0]["name"] and m["mountPath"] == "/etc/pulse/kafka-tls"
                   for m in c["volumeMounts"]), f"{d['metadata']['name']}: TLS Secret not mounted"


def check_config_accepted_by_pulse() -> None:
    """The pulse binary itself (PULSE_BIN, built by ./scripts/test.sh) accepts every rendered pulse.toml:
    Pulse refuses unknown keys, so a chart/CLI mismatch fails here, not in a pod."""
    binary = os.environ.get("PULSE_BIN")
    assert binary and Path(binary).is_file(), "set PULSE_BIN to a built pulse binary (./scripts/test.sh does)"
    with tempfile.TemporaryDirectory() as tmp:
        for label in STANDARD:
            path = Path(tmp) / f"{label}.toml"
            path.write_text(rendered(label).main_configmap()["data"]["pulse.toml"])
            run = subprocess.run([binary, "serve", "--config", str(path), "--print-config"],
                                 capture_output=True, text=True, check=False)
            assert run.returncode == 0, f"{label}: pulse refuses its pulse.toml: {run.stderr.strip()}"


def check_checksum_rolls_pods() -> None:
    """Pod templates carry checksum/config = sha256 of pulse.toml: a config change changes it on every
    Pulse pod; a change that does not touch the config leaves it alone."""
    def sums(r: Render) -> dict[str, str]:
        out = {}
        for d in r.kind("Deployment"):
            ann = d["spec"]["template"]["metadata"].get("annotations", {})
            assert "checksum/config" in ann, f"Deployment/{d['metadata']['name']} has no checksum/config"
            out[d["metadata"]["name"]] = ann["checksum/config"]
        return out

    for label, base in (("distributed", {}), ("embedded", {"mode": "embedded"})):
        r0 = Render(base)
        s0 = sums(r0)
        toml_text = r0.main_configmap()["data"]["pulse.toml"]
        for name, s in s0.items():
            assert s == hashlib.sha256(toml_text.encode()).hexdigest(), \
                f"{label}: {name}'s checksum is not the sha256 of the ConfigMap's pulse.toml"
        for change in ({"trends": {"window": "2h"}}, {"index": {"retention": "12h"}}):
            s1 = sums(Render(merge(base, change)))
            for name in s0:
                assert s0[name] != s1[name], f"{label}: checksum of {name} unchanged after {change}"
        s2 = sums(Render(merge(base, {"podAnnotations": {"x": "y"}, "ingest": {"replicas": 4}})))
        assert s0 == s2, f"{label}: checksum changed without a config change"
    s0 = sums(Render({}))
    s1 = sums(Render({"kafka": {"bootstrapServers": "other:9092"}}))
    assert all(s0[n] != s1[n] for n in s0), "checksum unchanged after kafka.bootstrapServers changed"


def check_helm_test_pod() -> None:
    """The `helm test` pod calls /healthz and /v1/trends on the API Service, in both modes."""
    for label in STANDARD:
        r = rendered(label)
        tests = [d for d in r.kind("Pod") if d["metadata"].get("annotations", {}).get("helm.sh/hook") == "test"]
        assert len(tests) == 1, f"{label}: {len(tests)} helm test pods"
        pod = tests[0]
        assert pod["spec"]["restartPolicy"] == "Never", f"{label}: test pod restartPolicy"
        c = pod["spec"]["containers"][0]
        script = " ".join(c.get("command", []) + c.get("args", []))
        for path in ("/healthz", "/v1/trends"):
            assert f"$PULSE_URL{path}" in script, f"{label}: the test pod does not call {path}"
        env = {e["name"]: e.get("value") for e in c.get("env", [])}
        api = r.one("Service", "serve" if r.merged["mode"] == "embedded" else "query")
        want = f"http://{api['metadata']['name']}.{NAMESPACE}.svc:{api['spec']['ports'][0]['port']}"
        assert env.get("PULSE_URL") == want, f"{label}: test pod calls {env.get('PULSE_URL')!r}, want {want!r}"


def check_optional_parts() -> None:
    """With everything on: query HPA (and no fixed replicas), Ingress to the API Service, ServiceMonitor
    on /metrics of both roles, topics Job as a pre-install/pre-upgrade hook running `topics create`."""
    r = rendered("all-on")
    query = r.one("Deployment", "query")
    hpa = r.one("HorizontalPodAutoscaler", "query")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": query["metadata"]["name"]}, hpa["spec"]["scaleTargetRef"]
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 8), hpa["spec"]
    assert "replicas" not in query["spec"], "query Deployment fixes replicas while the HPA is on"
    replicas = r.one("Deployment", "ingest")["spec"].get("replicas")
    assert replicas == 6, f"ingest replicas {replicas}, want 6 from ci/all-on-values.yaml"
    api = r.one("Service", "query")
    (ingress,) = r.kind("Ingress")
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == api["metadata"]["name"], f"Ingress routes to {backend['name']}"
    assert backend["port"].get("name") in [p["name"] for p in api["spec"]["ports"]], backend
    (sm,) = r.kind("ServiceMonitor")
    assert sm["metadata"]["labels"].get("release") == "kube-prometheus-stack", "ServiceMonitor extra labels"
    ep = sm["spec"]["endpoints"][0]
    assert ep["path"] == "/metrics", f"ServiceMonitor scrapes {ep['path']}"
    scraped = [s for s in r.kind("Service") if selects(sm["spec"]["selector"]["matchLabels"], s["metadata"]["labels"])]
    components = sorted(s["metadata"]["labels"]["app.kubernetes.io/component"] for s in scraped)
    assert components == ["ingest", "query"], f"ServiceMonitor selects Services of {components}"
    for s in scraped:
        assert ep["port"] in [p["name"] for p in s["spec"]["ports"]], f"{s['metadata']['name']} has no port {ep['port']}"
    ingest_svc = r.one("Service", "ingest")
    assert selects(ingest_svc["spec"]["selector"], pod_labels(r.one("Deployment", "ingest"))), "ingest Service selector"
    job = r.one("Job", "topics")
    hooks = job["metadata"]["annotations"]["helm.sh/hook"].split(",")
    assert sorted(hooks) == ["pre-install", "pre-upgrade"], f"topics Job hooks {hooks}"
    assert deployment_args(job)[:2] == ["topics", "create"], f"topics Job runs {deployment_args(job)}"
    cm_name = next(v["configMap"]["name"] for v in job["spec"]["template"]["spec"]["volumes"] if "configMap" in v)
    cm = r.named("ConfigMap", cm_name)
    assert int(cm["metadata"]["annotations"]["helm.sh/hook-weight"]) < int(job["metadata"]["annotations"]["helm.sh/hook-weight"]), \
        "the topics Job's ConfigMap must be created before the Job"
    assert cm["data"]["pulse.toml"] == r.main_configmap()["data"]["pulse.toml"], "the Job's pulse.toml differs"
    # Embedded with its options on: Ingress and ServiceMonitor point at the serve Service.
    r = rendered("embedded-all-on")
    (sm,) = r.kind("ServiceMonitor")
    scraped = [s for s in r.kind("Service") if selects(sm["spec"]["selector"]["matchLabels"], s["metadata"]["labels"])]
    assert [s["metadata"]["labels"]["app.kubernetes.io/component"] for s in scraped] == ["serve"], scraped
    env = {e["name"]: e.get("value") for e in r.kind("Deployment")[0]["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env.get("PULSE_DATA_DIR") == "/datasets", f"datasetsDir did not set PULSE_DATA_DIR: {env}"
    # Off by default.
    r = rendered("defaults")
    for kind in ("HorizontalPodAutoscaler", "Ingress", "ServiceMonitor", "Job"):
        assert not r.kind(kind), f"defaults render a {kind}"


BAD_VALUES: list[tuple[str, dict[str, Any]]] = [
    ("ingest.replicas is a string", {"ingest": {"replicas": "two"}}),
    ("query.replicas is negative", {"query": {"replicas": -1}}),
    ("unknown mode", {"mode": "bogus"}),
    ("misspelt key ingest.replica", {"ingest": {"replica": 3}}),
    ("unknown top-level key", {"replicaCount": 3}),
    ("window is not a duration", {"trends": {"window": "an hour"}}),
    ("port out of range", {"http": {"port": 70000}}),
    ("distributed without bootstrap servers", {"kafka": {"bootstrapServers": ""}}),
    ("TLS on without a Secret", {"kafka": {"tls": {"enabled": True}}}),
    ("kafka property that is not a scalar", {"kafka": {"properties": {"a": {"b": "c"}}}}),
    ("embedded with no dataset", {"mode": "embedded", "embedded": {"replay": {"datasets": []}}}),
]


def check_schema_rejects_bad_values() -> None:
    """Values that break values.schema.json fail the way `helm install` fails: on schema validation and
    on rendering; lint reports them as errors."""
    for what, values in BAD_VALUES:
        try:
            chart().validate_schema(values)
        except helm.HelmValuesError:
            pass
        else:
            raise AssertionError(f"values.schema.json accepts {what}: {values}")
        try:
            chart().render(values, name=RELEASE, namespace=NAMESPACE)
        except helm.HelmValuesError:
            pass
        else:
            raise AssertionError(f"rendering (as helm install does) accepts {what}: {values}")
    report = helm.lint(str(CHART), {"ingest": {"replicas": "two"}})
    assert report["errors"], "helm lint does not report ingest.replicas: \"two\""


def _schema_paths(schema: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of the schema's leaf values (resources count as one value)."""
    out = []
    for key, sub in schema.get("properties", {}).items():
        path = f"{prefix}{key}"
        if key == "global":
            continue
        if "properties" in sub and key != "resources":
            out.extend(_schema_paths(sub, path + "."))
        else:
            out.append(path)
    return out


def check_values_documented() -> None:
    """Every value in values.schema.json has a default in values.yaml and a row in helm/README.md."""
    schema = chart().schema
    assert schema, "the chart has no values.schema.json"
    defaults = chart().values
    readme = (ROOT / "helm" / "README.md").read_text()
    missing_default, missing_doc = [], []
    for path in _schema_paths(schema):
        node: Any = defaults
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                missing_default.append(path)
                break
            node = node[part]
        if f"`{path}`" not in readme:
            missing_doc.append(path)
    assert not missing_default, f"in values.schema.json but not values.yaml: {missing_default}"
    assert not missing_doc, f"not in the helm/README.md values reference: {missing_doc}"


CHECKS: list[Callable[[], None]] = [
    check_lint,
    check_schema_accepts_standard_values,
    check_manifests_validate,
    check_names_and_namespaces,
    check_probes,
    check_security_contexts,
    check_writable_paths,
    check_ingest_replicas_honoured,
    check_embedded_mode,
    check_distributed_mode,
    check_config_toml,
    check_config_accepted_by_pulse,
    check_checksum_rolls_pods,
    check_helm_test_pod,
    check_optional_parts,
    check_schema_rejects_bad_values,
    check_values_documented,
]


def main() -> int:
    print(f"helm-check: chart {CHART}, Helm SDK {helm.helm_sdk_version()}, "
          f"Kubernetes schemas {KUBE_VERSION}")
    passed = failed = 0
    for check in CHECKS:
        name = check.__name__.removeprefix("check_")
        try:
            check()
        except Exception as e:  # noqa: BLE001 - every failure is reported, then the run fails
            failed += 1
            detail = str(e) if isinstance(e, AssertionError) else traceback.format_exc()
            print(f"FAIL {name}: {detail}")
        else:
            passed += 1
            doc = " ".join((check.__doc__ or "").split())
            print(f"ok   {name}: {doc}")
    manifests = sum(len(_renders[k].docs) for k in _renders)
    print(f"helm-check: {len(_renders)} standard renderings, {manifests} manifests validated")
    print(f"helm-check: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
