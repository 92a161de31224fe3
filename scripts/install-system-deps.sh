#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Quell's audio-device code and its tests need, only when missing:
# PulseAudio (daemon, pactl/paplay/parec), the ALSA->PulseAudio plugin PortAudio reaches it through,
# PipeWire with WirePlumber and its PulseAudio server (the tests and the device-latency bench run it headless
# beside PulseAudio: packages/runtime/src/testing/pipewire-env.ts; Debian 12 installs both side by side, and
# without pipewire-alsa ALSA's default stays as it was; on a systemd desktop that runs PulseAudio, though, Debian
# enables PipeWire's user units, which claim the PulseAudio socket at the next login),
# the toolchain node-gyp uses to build naudiodon (its PortAudio library ships prebuilt inside it), and
# the Python kit's dependencies (clients/python: pyzmq with CURVE, msgpack, numpy, for /usr/bin/python3).
# iproute2 and nftables build the simulated hosts of the cross-machine pool test (test/helpers/simulated-hosts.ts).
# Run as root (CI). Safe to run twice.
set -euo pipefail

packages=(pulseaudio pulseaudio-utils libasound2-plugins libasound2 pipewire pipewire-pulse wireplumber python3 python3-zmq python3-msgpack python3-numpy make g++ prometheus iproute2 nftables)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if ((${#missing[@]})); then
  echo "install-system-deps: installing ${missing[*]}" >&2
  sudo_cmd=()
  [[ "$(id -u)" == 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
else
  echo "install-system-deps: all present" >&2
fi
