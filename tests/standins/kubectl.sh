#!/bin/sh
# STAND-IN kubectl: a test double, NOT kubectl. The fixture Kubernetes release
# ships it, so the tests can see which kubectl an image took in.
echo "STAND-IN kubectl (a test double): $*"
