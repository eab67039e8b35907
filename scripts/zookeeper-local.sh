#!/usr/bin/env bash
# Starts or stops a local standalone ZooKeeper (Debian's package) on 127.0.0.1 for the samples.
#   scripts/zookeeper-local.sh start [PORT]   -> prints the connect string; data in .zk-local/
#   scripts/zookeeper-local.sh stop
# The server's PID is kept in .zk-local/zookeeper.pid; stop ends only that process.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dir="$PWD/.zk-local"
pidfile="$dir/zookeeper.pid"
cmd="${1:-start}"
port="${2:-21810}"

running() { [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

serving() {
  local reply
  reply="$( (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf srvr >&3 && timeout 2 cat <&3) 2>/dev/null || true)"
  [[ "$reply" == *"Mode:"* ]]
}

case "$cmd" in
  start)
    bash scripts/install-zookeeper.sh >&2
    mkdir -p "$dir/data"
    if running; then
      port="$(cat "$dir/port")"
    else
      cat > "$dir/zoo.cfg" <<CFG
tickTime=2000
dataDir=$dir/data
clientPort=$port
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=srvr,ruok,stat,cons
maxClientCnxns=0
preAllocSize=1024
CFG
      echo "$port" > "$dir/port"
      cp=/usr/share/java/zookeeper.jar
      [[ -f /usr/share/java/slf4j-nop.jar ]] && cp="$cp:/usr/share/java/slf4j-nop.jar"
      nohup java -Xmx256m -XX:+UseSerialGC -cp "$cp" org.apache.zookeeper.server.ZooKeeperServerMain "$dir/zoo.cfg" \
        > "$dir/zookeeper.log" 2>&1 &
      echo $! > "$pidfile"
    fi
    for _ in $(seq 1 150); do
      if serving "$port"; then
        echo "127.0.0.1:$port"
        exit 0
      fi
      running || { echo "error: ZooKeeper exited; see $dir/zookeeper.log" >&2; exit 1; }
      sleep 0.2
    done
    echo "error: ZooKeeper did not start serving on 127.0.0.1:$port within 30 s; see $dir/zookeeper.log" >&2
    exit 1
    ;;
  stop)
    if running; then
      kill "$(cat "$pidfile")"
      for _ in $(seq 1 50); do running || break; sleep 0.1; done
      running && kill -9 "$(cat "$pidfile")"
    fi
    rm -f "$pidfile"
    ;;
  *)
    echo "usage: $0 start [PORT] | stop" >&2
    exit 2
    ;;
esac
