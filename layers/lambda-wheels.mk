# Included by the layers' Makefiles: how pip cross-installs wheels for Lambda's python3.12 on arm64,
# without Docker. `$(call lambda_wheels,REQUIREMENTS,TARGET)` installs REQUIREMENTS into TARGET.
#
# Inputs: PIP (set by the top Makefile to SAM's venv pip), LAMBDA_ARCH, LAMBDA_PYTHON.

PIP ?= python3 -m pip
LAMBDA_ARCH ?= aarch64
LAMBDA_PYTHON ?= 3.12
# Lambda's python3.12 runs on Amazon Linux 2023 (glibc 2.34): any of these wheel tags loads there.
PLATFORMS := manylinux2014_$(LAMBDA_ARCH) manylinux_2_28_$(LAMBDA_ARCH) manylinux_2_34_$(LAMBDA_ARCH)

lambda_wheels = $(PIP) install --quiet --disable-pip-version-check --no-compile \
	$(addprefix --platform ,$(PLATFORMS)) --python-version $(LAMBDA_PYTHON) \
	--implementation cp --only-binary=:all: --upgrade --target "$(2)" -r "$(1)"
