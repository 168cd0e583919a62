"""`invoke doctor`: preflight checks on the target, each finding with its fix.

Checks the Docker engine, privileged or capability mode, the subnet, the
published ports, disk space, the base image, the lab's images and the Mesos
and Kubernetes distributions (on each host of a multi-host lab, then what
its overlay network needs: k8sm.overlay_checks). A "fail" means the lab cannot come up as
configured; a "warn" means it comes up with less (e.g. without Mesos).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace

from k8sm import dists, engine, labels
from k8sm.engine import inspect_image_id
from k8sm.errors import K8smError
from k8sm.images import images_for
from k8sm.labspec import ELEVATED_CAPS, ELEVATED_SECURITY_OPT
from k8sm.placement import placed
from k8sm.target import Target, Where
from k8sm.topology import Lab

#: The label of the throwaway containers the checks run.
PROBE_LABELS = {"io.k8sm.doctor": "probe"}
#: Below these, the lab will not fit / may not fit (GiB free where the engine keeps its data).
DISK_FAIL_GIB = 3
DISK_WARN_GIB = 10


@dataclass(frozen=True)
class Finding:
    check: str
    status: str  # ok, warn, fail
    detail: str
    fix: str = ""


def diagnose(where: Where, lab: Lab) -> list[Finding]:
    """Every check, in order. A multi-host lab: each host's checks (for its own nodes), named after the
    host, then what its overlay network needs between the hosts (k8sm.overlay_checks)."""
    placement = placed(where, lab)
    if not placement.multi_host:
        return diagnose_host(placement.manager, lab)
    from k8sm import overlay_checks

    findings = [replace(f, check=f"{host}: {f.check}") for host, target in placement.targets.items()
                for f in diagnose_host(target, placement.view(host))]
    return findings + overlay_checks.findings(placement, lab)


def diagnose_host(target: Target, lab: Lab) -> list[Finding]:
    """Every check on one machine, in order; engine-dependent checks are skipped when the engine is unreachable."""
    try:
        version = engine.version(target)
    except K8smError as exc:
        return [Finding("docker engine", "fail", exc.message, exc.hint or "")]
    findings = [Finding("docker engine", "ok", f"Docker {version.get('Version')} (API {version.get('ApiVersion')}) "
                                               f"on {target.label}")]
    for check in (_security, _subnet, _ports, _disk, _base_image, _images, _dists, _open_files):
        try:
            findings.extend(check(target, lab))
        except K8smError as exc:
            findings.append(Finding(check.__name__.strip("_"), "fail", exc.message, exc.hint or ""))
    return findings


def _try_container(target: Target, image: str, **host_config: object) -> str | None:
    """Start and remove a throwaway container; None if it ran, else the engine's reason."""
    try:
        engine.run_once(target, image, ["true"], PROBE_LABELS, **host_config)
        return None
    except engine.EngineRefused as exc:
        return exc.detail.strip().splitlines()[0] if exc.detail.strip() else exc.message


def _security(target: Target, lab: Lab) -> list[Finding]:
    image = lab.images.base
    if not inspect_image_id(target, image):
        return [Finding("container security", "warn", f"not tested: base image {image} is missing",
                        "run `invoke build.base` (or `invoke up`), then doctor again")]
    refused = _try_container(target, image, privileged=True)
    caps_refused = _try_container(target, image, cap_add=list(ELEVATED_CAPS), security_opt=list(ELEVATED_SECURITY_OPT))
    if lab.security == "privileged":
        if refused:
            return [Finding("container security", "fail", f"the engine refuses --privileged ({refused})",
                            "set `lab.security: capabilities` in hosts.yaml")]
        return [Finding("container security", "ok", "privileged containers are allowed (lab.security: privileged)")]
    if caps_refused:
        return [Finding("container security", "fail", f"the engine refuses the capability set ({caps_refused})",
                        "allow SYS_ADMIN and NET_ADMIN with unconfined seccomp, or use privileged mode")]
    note = "privileged mode is refused here" if refused else "privileged mode would work too"
    return [Finding("container security", "ok", f"capability mode works (lab.security: capabilities); {note}")]


def _subnet(target: Target, lab: Lab) -> list[Finding]:
    wanted = ipaddress.ip_network(lab.network.subnet)
    for net in engine.networks(target):
        mine = (net.get("Labels") or {}).get(labels.LAB) == lab.name and net.get("Name") == lab.network.name
        for cfg in (net.get("IPAM") or {}).get("Config") or []:
            subnet = cfg.get("Subnet")
            if not subnet or ":" in subnet:
                continue
            if ipaddress.ip_network(subnet, strict=False).overlaps(wanted):
                if mine:
                    return [Finding("subnet", "ok", f"{wanted} is the lab's own network {lab.network.name}")]
                return [Finding("subnet", "fail", f"{wanted} overlaps Docker network {net.get('Name')} ({subnet})",
                                "choose another network.subnet in hosts.yaml")]
    return [Finding("subnet", "ok", f"{wanted} is free")]


def listening_ports(target: Target) -> set[int]:
    """TCP ports in LISTEN state on the target (from /proc/net, no ss needed)."""
    result = target.sh(["cat", "/proc/net/tcp", "/proc/net/tcp6"], hide=True, warn=True)
    ports = set()
    for line in result.stdout.splitlines()[1:]:
        fields = line.split()
        if len(fields) > 3 and fields[3] == "0A" and ":" in fields[1]:
            ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _ports(target: Target, lab: Lab) -> list[Finding]:
    wanted = {p.host_port: n.name for n in lab.nodes for p in n.publish}
    if not wanted:
        return [Finding("published ports", "ok", "the lab publishes no ports")]
    ours = {p.get("PublicPort") for c in engine.containers(target, labels.lab_filter(lab.name), all=False)
            for p in c.get("Ports") or []}
    busy = sorted(port for port in set(wanted) & listening_ports(target) if port not in ours)
    if busy:
        return [Finding("published ports", "fail", "in use on the target: " + ", ".join(
            f"{port} ({wanted[port]})" for port in busy), "free them, or change `publish` of those nodes in hosts.yaml")]
    described = [f"{p} ({n}{', the lab has it' if p in ours else ''})" for p, n in sorted(wanted.items())]
    return [Finding("published ports", "ok", "available: " + ", ".join(described))]


def _disk(target: Target, lab: Lab) -> list[Finding]:
    root = engine.info(target).get("DockerRootDir") or "/var/lib/docker"
    result = target.sh(["df", "-Pk", root], hide=True, warn=True)
    try:
        available_kib = int(result.stdout.strip().splitlines()[-1].split()[3])
    except (IndexError, ValueError):
        return [Finding("disk space", "warn", f"could not read the free space of {root}")]
    gib = available_kib / 1024 / 1024
    if gib < DISK_FAIL_GIB:
        return [Finding("disk space", "fail", f"{gib:.1f} GiB free in {root}",
                        f"free at least {DISK_WARN_GIB} GiB (the images need about 3 GiB)")]
    status = "warn" if gib < DISK_WARN_GIB else "ok"
    return [Finding("disk space", status, f"{gib:.1f} GiB free in {root}",
                    f"{DISK_WARN_GIB} GiB or more are advised" if status == "warn" else "")]


def _base_image(target: Target, lab: Lab) -> list[Finding]:
    ref = lab.images.base
    if inspect_image_id(target, ref):
        return [Finding("base image", "ok", f"{ref} is present")]
    if not ref.startswith(lab.images.prefix):
        return [Finding("base image", "warn", f"{ref} is missing", "`invoke build --pull` pulls it")]
    if not target.has_command("debootstrap") or not target.is_root():
        return [Finding("base image", "fail", f"{ref} is missing and cannot be made here (needs root and debootstrap)",
                        "install debootstrap and run as root, or set images.base to a registry image")]
    return [Finding("base image", "warn", f"{ref} is missing", "`invoke build.base` (or `invoke up`) makes it")]


def _images(target: Target, lab: Lab) -> list[Finding]:
    missing = [lab.images.ref(n) for n in images_for(lab) if not inspect_image_id(target, lab.images.ref(n))]
    if missing:
        return [Finding("lab images", "warn", f"not built yet: {', '.join(missing)}", "`invoke build` or `invoke up`")]
    return [Finding("lab images", "ok", f"{len(images_for(lab))} images built")]


def _dists(target: Target, lab: Lab) -> list[Finding]:
    found = []
    for dist in dists.DISTS.values():
        ref = dist.ref(lab)
        if dists.present(target, lab, dist):
            found.append(Finding(f"{dist.name} binaries", "ok", f"{ref} is present"))
        else:
            what = "the Mesos masters and agents" if dist.name == "mesos" else "the km daemons (kubectl is Debian's)"
            found.append(Finding(f"{dist.name} binaries", "warn", f"{ref} is missing: `up` skips {what}",
                                 f"`invoke {dist.build_task}`"))
    return found


#: The open-files limit kube-proxy sets for itself (km's executors run it with --run-proxy).
PROXY_OPEN_FILES = 64000


def _open_files(target: Target, lab: Lab) -> list[Finding]:
    """Whether the engine's containers may raise their open-files limit as far as kube-proxy does."""
    if not lab.kubernetes.run_proxy:
        return [Finding("open files", "ok", "kube-proxy is off (kubernetes.run_proxy: false)")]
    image = lab.images.base
    if inspect_image_id(target, image) is None:
        return [Finding("open files", "warn", f"not tested: base image {image} is missing")]
    text = engine.run_once(target, image, ["sh", "-c", "ulimit -Hn"], PROBE_LABELS).strip()
    if text == "unlimited" or (text.isascii() and text.isdigit() and int(text) >= PROXY_OPEN_FILES):
        return [Finding("open files", "ok", f"containers may open {text} files (kube-proxy asks {PROXY_OPEN_FILES})")]
    return [Finding("open files", "warn", f"containers may open at most {text} files; kube-proxy sets "
                                          f"{PROXY_OPEN_FILES} and exits, so km's executors run without it",
                    "set kubernetes.run_proxy: false in hosts.yaml, or raise the engine's open-files limit "
                    "(LimitNOFILE of dockerd)")]


def exit_code(findings: list[Finding]) -> int:
    """1 if the lab cannot come up as configured (some finding failed), else 0."""
    return 1 if any(f.status == "fail" for f in findings) else 0


def as_json(lab: Lab, target_label: str, findings: list[Finding]) -> dict[str, object]:
    """The findings for programs (`doctor --json`): each check with its status, detail and fix, in order."""
    return {"lab": lab.name, "target": target_label, "exit_code": exit_code(findings),
            "findings": [{"check": f.check, "status": f.status, "detail": f.detail, "fix": f.fix} for f in findings]}


def table(findings: list[Finding]) -> str:
    width = max(len(f.check) for f in findings)
    lines = []
    for f in findings:
        lines.append(f"{f.check.ljust(width)}  {f.status.upper():4}  {f.detail}")
        if f.fix and f.status != "ok":
            lines.append(f"{'':{width}}        fix: {f.fix}")
    return "\n".join(lines)

