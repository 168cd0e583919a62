"""`python -m k8sm`: the k8sm program."""

from k8sm.cli import main

main()
