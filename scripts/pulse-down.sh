#!/usr/bin/env bash
# Stops the PulseAudio daemon that pulse-up.sh started (found by its pid file in QUELL_PULSE_DIR) after
# unloading the test sinks. Idempotent: does nothing when no such daemon runs. Never touches another server.
set -euo pipefail

dir="${QUELL_PULSE_DIR:-/tmp/quell-pulse}"
pid_file="$dir/pulse/pid"
export XDG_RUNTIME_DIR="$dir" PULSE_RUNTIME_PATH="$dir/pulse" HOME="$dir/home" XDG_CONFIG_HOME="$dir/config"
export PULSE_SERVER="unix:$dir/pulse/native"

if pactl info >/dev/null 2>&1; then
  # Unload the sinks by module id so a reused daemon is left as it was found.
  pactl list short modules | awk '$2 == "module-null-sink" && $3 ~ /sink_name=quell_test_(in|out)( |$)/ { print $1 }' |
    while read -r id; do pactl unload-module "$id" || true; done
fi

if [[ -f "$pid_file" ]]; then
  pid="$(cat "$pid_file")"
  state() { awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null || true; }
  # Only a live pulseaudio with that pid; a zombie (Z: exited, not reaped in a container) is already gone.
  if grep -q pulseaudio "/proc/$pid/comm" 2>/dev/null && [[ "$(state)" != Z ]]; then
    kill "$pid"
    for _ in $(seq 1 50); do [[ -n "$(state)" && "$(state)" != Z ]] || break; sleep 0.1; done
    echo "pulse-down: stopped PulseAudio (pid $pid)" >&2
  fi
  rm -f "$pid_file"
fi
