// Reference-client benchmark driver for Orleans.ZooKeeper.Benchmarks.
//
// A long-lived process that drives the official Java ZooKeeper client
// (org.apache.zookeeper.ZooKeeper) and is itself driven over stdin/stdout by
// line commands, one reply line per command:
//
//   connect <connectString> <sessionTimeoutMs>
//       -> ok connected 0x<sessionIdHex> | error <message>
//   run <create|setData|getData> <pipelined|sync> <count> <payloadBytes> <basePath>
//       -> result <op> <mode> <count> <elapsedNanos> <cpuNanos> <errors> | error <message>
//   cleanup <basePath>
//       -> ok | error <message>
//   quit
//       -> closes the session and exits 0 (also on end of stdin).
//
// Only reply lines go to stdout; diagnostics (connection state changes) go to stderr.
// Compile: javac -cp /usr/share/java/zookeeper.jar -d DIR ZkJavaBench.java
// Run:     java -Xmx512m -cp DIR:/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-nop.jar ZkJavaBench
// TLS:     no code change: the client reads its TLS settings from system properties. Add
//          -Dzookeeper.client.secure=true -Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty
//          -Dzookeeper.ssl.trustStore.location=CA.pem -Dzookeeper.ssl.trustStore.type=PEM (JavaClientTlsOptions in
//          JavaReferenceClient.cs), put /usr/share/java/netty-codec.jar, netty-resolver.jar and
//          netty-transport-native-unix-common.jar on -cp, and connect to the server's secure port.

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.zookeeper.AsyncCallback;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZKUtil;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

public final class ZkJavaBench {
    /** Number of distinct nodes that setData/getData rotate over. */
    private static final int NODE_SET = 1000;
    /** Longest wait for the callbacks of one pipelined batch (timed or setup). */
    private static final long BATCH_TIMEOUT_SECONDS = 600;
    private static final long CONNECT_TIMEOUT_SECONDS = 30;

    private final PrintStream out;
    private ZooKeeper zk;
    private int runCounter;
    /** Short per-process tag so that create names stay unique across processes sharing a basePath. */
    private final String processTag;
    /** Per basePath: the "c<runId>-" prefixes and counts this process created, so cleanup can delete
     *  them without one huge getChildren (which could exceed jute.maxbuffer). */
    private final Map<String, List<Object[]>> createdByBase = new HashMap<>();

    private ZkJavaBench(PrintStream out) {
        this.out = out;
        long t = (System.nanoTime() ^ (ProcessHandle.current().pid() << 20)) & 0xFFFFFL;
        this.processTag = Long.toString(t, 36);
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false, "UTF-8");
        ZkJavaBench bench = new ZkJavaBench(out);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            line = line.trim();
            if (line.isEmpty()) {
                continue;
            }
            String[] parts = line.split("\\s+");
            if (parts[0].equals("quit")) {
                break;
            }
            String reply;
            try {
                reply = bench.handle(parts);
            } catch (Throwable e) {
                reply = "error " + describe(e);
            }
            out.print(reply);
            out.print('\n');
            out.flush();
        }
        bench.closeQuietly();
        out.flush();
        System.exit(0);
    }

    private static String describe(Throwable e) {
        String msg = e.getClass().getSimpleName() + ": " + e.getMessage();
        return msg.replace('\r', ' ').replace('\n', ' ');
    }

    private String handle(String[] p) throws Exception {
        switch (p[0]) {
            case "connect":
                expectArgs(p, 3, "connect <connectString> <sessionTimeoutMs>");
                return connect(p[1], Integer.parseInt(p[2]));
            case "run":
                expectArgs(p, 6, "run <op> <mode> <count> <payloadBytes> <basePath>");
                return run(p[1], p[2], Integer.parseInt(p[3]), Integer.parseInt(p[4]), p[5]);
            case "cleanup":
                expectArgs(p, 2, "cleanup <basePath>");
                return cleanup(p[1]);
            default:
                return "error unknown command '" + p[0] + "'";
        }
    }

    private static void expectArgs(String[] p, int n, String usage) {
        if (p.length != n) {
            throw new IllegalArgumentException("usage: " + usage);
        }
    }

    // ---------------------------------------------------------------- connect

    private String connect(String connectString, int sessionTimeoutMs) throws Exception {
        closeQuietly();
        final CountDownLatch connected = new CountDownLatch(1);
        Watcher watcher = new Watcher() {
            @Override
            public void process(WatchedEvent event) {
                if (event.getType() == Event.EventType.None) {
                    System.err.println("zk state: " + event.getState());
                    if (event.getState() == Event.KeeperState.SyncConnected) {
                        connected.countDown();
                    }
                }
            }
        };
        ZooKeeper z = new ZooKeeper(connectString, sessionTimeoutMs, watcher);
        if (!connected.await(CONNECT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            ZooKeeper.States state = z.getState();
            try {
                z.close();
            } catch (Exception ignored) {
                // best effort
            }
            throw new IllegalStateException("not connected to " + connectString + " within "
                    + CONNECT_TIMEOUT_SECONDS + " s (state " + state + ")");
        }
        zk = z;
        return "ok connected 0x" + Long.toHexString(z.getSessionId());
    }

    private void closeQuietly() {
        ZooKeeper z = zk;
        zk = null;
        if (z != null) {
            try {
                z.close();
            } catch (Exception e) {
                System.err.println("close failed: " + describe(e));
            }
        }
    }

    private ZooKeeper zk() {
        if (zk == null) {
            throw new IllegalStateException("not connected (send 'connect' first)");
        }
        return zk;
    }

    // ---------------------------------------------------------------- run

    private String run(String op, String mode, int count, int payloadBytes, String basePath) throws Exception {
        ZooKeeper z = zk();
        if (!op.equals("create") && !op.equals("setData") && !op.equals("getData")) {
            throw new IllegalArgumentException("op must be create|setData|getData, got '" + op + "'");
        }
        boolean pipelined;
        if (mode.equals("pipelined")) {
            pipelined = true;
        } else if (mode.equals("sync")) {
            pipelined = false;
        } else {
            throw new IllegalArgumentException("mode must be pipelined|sync, got '" + mode + "'");
        }
        if (count <= 0 || payloadBytes < 0) {
            throw new IllegalArgumentException("count must be > 0 and payloadBytes >= 0");
        }
        checkPath(basePath);
        byte[] payload = new byte[payloadBytes];
        for (int i = 0; i < payloadBytes; i++) {
            payload[i] = (byte) ('a' + (i % 26));
        }

        // ---- untimed setup
        ensurePath(z, basePath);
        String[] paths = new String[count];
        if (op.equals("create")) {
            String runId = Integer.toString(++runCounter, 36) + processTag;
            String prefix = basePath + "/c" + runId + "-";
            for (int i = 0; i < count; i++) {
                paths[i] = prefix + i;
            }
            createdByBase.computeIfAbsent(basePath, k -> new ArrayList<>()).add(new Object[] {prefix, count});
        } else {
            int nodes = Math.min(count, NODE_SET);
            prepareNodes(z, basePath, nodes, payload);
            String[] nodePaths = new String[nodes];
            for (int i = 0; i < nodes; i++) {
                nodePaths[i] = basePath + "/n" + i;
            }
            for (int i = 0; i < count; i++) {
                paths[i] = nodePaths[i % NODE_SET];
            }
        }

        // ---- timed section
        CpuClock cpu = CpuClock.create();
        int errors;
        long cpu0 = cpu.now();
        long t0 = System.nanoTime();
        if (pipelined) {
            errors = runPipelined(z, op, paths, payload);
        } else {
            errors = runSync(z, op, paths, payload);
        }
        long elapsed = System.nanoTime() - t0;
        long cpuUsed = cpu.now() - cpu0;
        return "result " + op + " " + mode + " " + count + " " + elapsed + " " + cpuUsed + " " + errors;
    }

    private static int runPipelined(ZooKeeper z, String op, String[] paths, byte[] payload) throws Exception {
        final int n = paths.length;
        final CountDownLatch done = new CountDownLatch(n);
        final AtomicInteger errors = new AtomicInteger();
        switch (op) {
            case "create": {
                // Create2Callback: the request is create2, whose reply carries the new node's Stat, like our
                // client's CreateAsync (which returns it); a StringCallback would send the lighter create.
                AsyncCallback.Create2Callback cb = (rc, path, ctx, name, stat) -> {
                    if (rc != 0) {
                        errors.incrementAndGet();
                    }
                    done.countDown();
                };
                for (int i = 0; i < n; i++) {
                    z.create(paths[i], payload, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT, cb, null);
                }
                break;
            }
            case "setData": {
                AsyncCallback.StatCallback cb = (rc, path, ctx, stat) -> {
                    if (rc != 0) {
                        errors.incrementAndGet();
                    }
                    done.countDown();
                };
                for (int i = 0; i < n; i++) {
                    z.setData(paths[i], payload, -1, cb, null);
                }
                break;
            }
            default: { // getData
                AsyncCallback.DataCallback cb = (rc, path, ctx, data, stat) -> {
                    if (rc != 0) {
                        errors.incrementAndGet();
                    }
                    done.countDown();
                };
                for (int i = 0; i < n; i++) {
                    z.getData(paths[i], false, cb, null);
                }
                break;
            }
        }
        if (!done.await(BATCH_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            throw new IllegalStateException(op + " pipelined: " + done.getCount() + " of " + n
                    + " callbacks missing after " + BATCH_TIMEOUT_SECONDS + " s");
        }
        return errors.get();
    }

    private static int runSync(ZooKeeper z, String op, String[] paths, byte[] payload) throws Exception {
        int errors = 0;
        final int n = paths.length;
        for (int i = 0; i < n; i++) {
            try {
                switch (op) {
                    case "create":
                        z.create(paths[i], payload, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT, new Stat()); // create2, as ours
                        break;
                    case "setData":
                        z.setData(paths[i], payload, -1);
                        break;
                    default:
                        z.getData(paths[i], false, null);
                        break;
                }
            } catch (KeeperException e) {
                errors++;
            }
        }
        return errors;
    }

    /** Creates basePath/n0..n(nodes-1) with the payload; existing ones get the payload set, so that
     *  getData reads payloadBytes bytes even if an earlier run used another size. Untimed. */
    private static void prepareNodes(ZooKeeper z, String basePath, int nodes, byte[] payload) throws Exception {
        final CountDownLatch done = new CountDownLatch(nodes);
        final AtomicInteger failed = new AtomicInteger();
        final AtomicInteger firstRc = new AtomicInteger();
        final AsyncCallback.StatCallback setCb = (rc, path, ctx, stat) -> {
            if (rc != 0) {
                failed.incrementAndGet();
                firstRc.compareAndSet(0, rc);
            }
            done.countDown();
        };
        AsyncCallback.StringCallback createCb = (rc, path, ctx, name) -> {
            if (rc == KeeperException.Code.NODEEXISTS.intValue()) {
                // Runs on the event thread: issuing another async call from here is allowed.
                z.setData(path, payload, -1, setCb, null);
                return;
            }
            if (rc != 0) {
                failed.incrementAndGet();
                firstRc.compareAndSet(0, rc);
            }
            done.countDown();
        };
        for (int i = 0; i < nodes; i++) {
            z.create(basePath + "/n" + i, payload, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT, createCb, null);
        }
        if (!done.await(BATCH_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            throw new IllegalStateException("setup of " + nodes + " nodes under " + basePath + " timed out");
        }
        if (failed.get() != 0) {
            throw new IllegalStateException("setup of nodes under " + basePath + ": " + failed.get()
                    + " failed, first " + KeeperException.Code.get(firstRc.get()));
        }
    }

    /** Creates path and its missing ancestors (persistent, empty, OPEN_ACL_UNSAFE). Untimed. */
    private static void ensurePath(ZooKeeper z, String path) throws Exception {
        if (path.equals("/") || z.exists(path, false) != null) {
            return;
        }
        for (int idx = path.indexOf('/', 1); ; idx = path.indexOf('/', idx + 1)) {
            String prefix = idx == -1 ? path : path.substring(0, idx);
            try {
                z.create(prefix, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            } catch (KeeperException.NodeExistsException ignored) {
                // fine
            }
            if (idx == -1) {
                break;
            }
        }
    }

    private static void checkPath(String path) {
        if (!path.startsWith("/") || (path.length() > 1 && path.endsWith("/"))) {
            throw new IllegalArgumentException("basePath must be absolute without trailing '/': '" + path + "'");
        }
    }

    // ---------------------------------------------------------------- cleanup

    private String cleanup(String basePath) throws Exception {
        ZooKeeper z = zk();
        checkPath(basePath);
        if (basePath.equals("/")) {
            throw new IllegalArgumentException("refusing to delete '/'");
        }
        // First delete what this process is known to have created, pipelined, so the final
        // recursive delete does not need one huge getChildren listing.
        List<String> known = new ArrayList<>();
        List<Object[]> created = createdByBase.remove(basePath);
        if (created != null) {
            for (Object[] c : created) {
                String prefix = (String) c[0];
                int n = (Integer) c[1];
                for (int i = 0; i < n; i++) {
                    known.add(prefix + i);
                }
            }
        }
        for (int i = 0; i < NODE_SET; i++) {
            known.add(basePath + "/n" + i);
        }
        final CountDownLatch done = new CountDownLatch(known.size());
        AsyncCallback.VoidCallback cb = (rc, path, ctx) -> done.countDown(); // NoNode etc. ignored
        for (String p : known) {
            z.delete(p, -1, cb, null);
        }
        if (!done.await(BATCH_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            throw new IllegalStateException("cleanup of " + basePath + " timed out");
        }
        if (z.exists(basePath, false) != null) {
            ZKUtil.deleteRecursive(z, basePath);
        }
        return "ok";
    }

    // ---------------------------------------------------------------- CPU clock

    /** Process CPU time in nanoseconds (all threads, including JIT and GC). */
    private abstract static class CpuClock {
        abstract long now();

        static CpuClock create() {
            java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
            if (os instanceof com.sun.management.OperatingSystemMXBean) {
                final com.sun.management.OperatingSystemMXBean sun = (com.sun.management.OperatingSystemMXBean) os;
                if (sun.getProcessCpuTime() >= 0) {
                    return new CpuClock() {
                        @Override
                        long now() {
                            return sun.getProcessCpuTime();
                        }
                    };
                }
            }
            // Fallback: sum over live threads (misses threads that ended during the section).
            final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            return new CpuClock() {
                @Override
                long now() {
                    long sum = 0;
                    for (long id : threads.getAllThreadIds()) {
                        long t = threads.getThreadCpuTime(id);
                        if (t > 0) {
                            sum += t;
                        }
                    }
                    return sum;
                }
            };
        }
    }
}
