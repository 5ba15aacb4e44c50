#!/bin/sh
# ctest: .ci/deps (the README's set-up) installs nothing when the packages are there, and asks
# apt-get for a package that is missing. apt-get and sudo are stand-ins that only log their calls.
set -e
deps="$1"
fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT
for tool in apt-get sudo; do
  printf '#!/bin/sh\necho "%s $*" >> "%s/calls"\n' "$tool" "$fake" > "$fake/$tool"
  chmod +x "$fake/$tool"
done
PATH="$fake:$PATH" "$deps"
if [ -s "$fake/calls" ]; then
  echo "ci_deps: .ci/deps ran apt-get although every package is installed: $(cat "$fake/calls")"
  exit 1
fi
PATH="$fake:$PATH" "$deps" scae-no-such-package 2>/dev/null
if ! grep -q "install .*scae-no-such-package" "$fake/calls"; then
  echo "ci_deps: .ci/deps did not install a missing package; calls: $(cat "$fake/calls" 2>/dev/null)"
  exit 1
fi
