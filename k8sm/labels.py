"""Labels k8sm puts on what it creates. The labels, not a state file, say what exists."""

LAB = "io.k8sm.lab"            # lab name: containers, network, volumes, images
NODE = "io.k8sm.node"          # node (host) name: containers, volumes
ROLE = "io.k8sm.role"          # node role: containers
SPEC = "io.k8sm.spec"          # digest of a container's settings, to notice drift
IMAGE = "io.k8sm.image"        # image name within the lab: images
IMAGE_HASH = "io.k8sm.context" # digest of an image's build inputs: images
DISTS = "io.k8sm.dists"        # the distributions an image holds, comma-separated ("": none): role
                               # images, and so their containers (a container carries its image's labels)


def lab_filter(lab_name: str) -> dict[str, str]:
    """A Docker API filter selecting one lab's objects."""
    return {"label": f"{LAB}={lab_name}"}
