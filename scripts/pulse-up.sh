#!/usr/bin/env bash
# Starts a headless PulseAudio daemon for Quell's device tests (root, CI, containers without a sound card)
# and creates the test null sinks quell_test_in and quell_test_out. Idempotent: reuses a daemon it started
# earlier and skips sinks that exist. Installs nothing (see install-system-deps.sh).
# Prints the env to use as `export` lines, so:   eval "$(scripts/pulse-up.sh)"
#
# QUELL_PULSE_DIR  runtime dir of the daemon (default /tmp/quell-pulse); its socket is $QUELL_PULSE_DIR/pulse/native.
set -euo pipefail

dir="${QUELL_PULSE_DIR:-/tmp/quell-pulse}"
rate_hz=48000
test_sinks=(quell_test_in quell_test_out)

log() { echo "pulse-up: $*" >&2; }

for tool in pulseaudio pactl; do
  command -v "$tool" >/dev/null || { log "$tool missing; run scripts/install-system-deps.sh"; exit 1; }
done

# A private runtime dir, HOME and config dir keep this daemon away from any desktop session's sound.
mkdir -p "$dir/pulse" "$dir/home" "$dir/config/pulse"
chmod 700 "$dir" "$dir/pulse"
export XDG_RUNTIME_DIR="$dir" PULSE_RUNTIME_PATH="$dir/pulse" HOME="$dir/home" XDG_CONFIG_HOME="$dir/config"
export PULSE_SERVER="unix:$dir/pulse/native"

if ! pactl info >/dev/null 2>&1; then
  # A daemon killed with SIGKILL leaves its socket and pid file; a new one cannot bind over them.
  pid="$(cat "$dir/pulse/pid" 2>/dev/null || true)"
  # A zombie (state Z, nobody reaped it) still answers kill -0, so read its state.
  state="$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null || true)"
  if [[ -n "$pid" ]] && [[ -z "$state" || "$state" == Z ]]; then rm -f "$dir/pulse/pid"; fi
  [[ -f "$dir/pulse/pid" ]] || rm -f "$dir/pulse/native"
  # No hardware modules (there may be no sound card), anonymous auth on the private socket.
  cat >"$dir/quell.pa" <<EOF
load-module module-native-protocol-unix auth-anonymous=1 socket=$dir/pulse/native
EOF
  # float32 at 48 kHz everywhere so nothing resamples, and never exit or suspend when idle.
  cat >"$dir/config/pulse/daemon.conf" <<EOF
default-sample-format = float32le
default-sample-rate = $rate_hz
alternate-sample-rate = $rate_hz
default-sample-channels = 2
default-fragments = 2
default-fragment-size-msec = 5
exit-idle-time = -1
flat-volumes = no
EOF
  # As root pulseaudio warns that it is meant for --system mode; per-user mode still works and allows
  # the runtime module loading that the tests and `quell virtual-devices up` need.
  # PULSE_CONFIG names the daemon.conf: as root pulseaudio reads only /etc/pulse/daemon.conf otherwise.
  PULSE_CONFIG="$dir/config/pulse/daemon.conf" pulseaudio --daemonize=yes --use-pid-file=yes --system=false -n \
    --exit-idle-time=-1 --log-target=file:"$dir/pulse.log" --file="$dir/quell.pa" 2>>"$dir/start.err" || true
  for _ in $(seq 1 50); do
    pactl info >/dev/null 2>&1 && break
    sleep 0.1
  done
  pactl info >/dev/null 2>&1 || { log "daemon did not start; see $dir/pulse.log and $dir/start.err"; exit 1; }
  log "started PulseAudio (pid $(cat "$dir/pulse/pid" 2>/dev/null || echo '?'))"
fi

existing="$(pactl list short sinks | cut -f2)"
for sink in "${test_sinks[@]}"; do
  if ! grep -qx "$sink" <<<"$existing"; then
    pactl load-module module-null-sink sink_name="$sink" format=float32le rate="$rate_hz" channels=2 \
      sink_properties=device.description="$sink" >/dev/null
    log "created sink $sink"
  fi
done
# Defaults point at the test sinks so an unconfigured client never reaches anything else.
pactl set-default-sink quell_test_out
pactl set-default-source quell_test_in.monitor

echo "export XDG_RUNTIME_DIR=$dir"
echo "export PULSE_RUNTIME_PATH=$dir/pulse"
echo "export PULSE_SERVER=$PULSE_SERVER"
