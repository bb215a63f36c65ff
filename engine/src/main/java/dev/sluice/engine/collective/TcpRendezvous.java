package dev.sluice.engine.collective;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.sluice.engine.collective.CollectiveException.Reason;

/**
 * Sets up the ring of a {@link TcpCollective}.
 *
 * <p>Protocol: rank 0 listens on the master address. Every other rank binds a ring listener on the
 * interface it reaches rank 0 through, connects to rank 0 and sends a hello (magic, protocol
 * version, rank, world size, configuration fingerprint, ring port). Rank 0 checks them all (same
 * version, same world size, distinct ranks in range, same fingerprint) and answers every rank with
 * either the table of ring listeners or one error naming who differs and how; then everyone
 * closes the rendezvous connection. Each rank connects to the ring listener of rank+1 and accepts
 * rank-1; a short handshake on each ring connection confirms who is on the other side.
 */
final class TcpRendezvous {
    static final int MAGIC = 0x534C4343; // "SLCC"
    static final int VERSION = 1;
    private static final int OK = 0;
    private static final int ERROR = 1;

    /** The two ring connections of one rank (both null when the world size is 1). */
    record Links(SocketChannel toNext, SocketChannel fromPrev) {
    }

    private TcpRendezvous() {
    }

    /** Rank 0's listening side. */
    static final class Master implements AutoCloseable {
        private final TcpOptions options;
        private final ServerSocket server;
        private final ServerSocketChannel ringServer;
        private boolean used;

        Master(TcpOptions options) throws CollectiveException {
            if (options.rank() != 0) {
                throw new IllegalArgumentException("only rank 0 listens for the rendezvous, this is rank "
                        + options.rank());
            }
            this.options = options;
            InetAddress address = resolve(options, 0);
            ServerSocket s = null;
            ServerSocketChannel r = null;
            try {
                s = new ServerSocket();
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(address, options.masterPort()), 256);
                r = ServerSocketChannel.open();
                r.bind(new InetSocketAddress(address, 0));
            } catch (IOException e) {
                CollectiveException ce = new CollectiveException(Reason.NETWORK, 0, -1, "could not listen on "
                        + options.masterHost() + ":" + options.masterPort() + ": " + e.getMessage()
                        + " (is another job using this MASTER_PORT?)", e);
                closeAll(ce, s, r);
                throw ce;
            }
            this.server = s;
            this.ringServer = r;
        }

        int port() {
            return server.getLocalPort();
        }

        Links await() throws CollectiveException {
            if (used) {
                throw new IllegalStateException("the rendezvous of this master already ran");
            }
            used = true;
            int n = options.worldSize();
            long deadline = System.nanoTime() + options.rendezvousTimeout().toNanos();
            Socket[] peers = new Socket[n];
            String[] hosts = new String[n];
            int[] ringPorts = new int[n];
            hosts[0] = "";
            ringPorts[0] = ringServer.socket().getLocalPort();
            int joined = 1;
            List<Socket> all = new ArrayList<>();
            try {
                while (joined < n) {
                    long left = millisLeft(deadline);
                    if (left <= 0) {
                        throw joinTimeout(peers);
                    }
                    Socket s;
                    try {
                        server.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
                        s = server.accept();
                    } catch (SocketTimeoutException e) {
                        throw joinTimeout(peers);
                    } catch (IOException e) {
                        throw new CollectiveException(Reason.NETWORK, 0, -1, "accepting rendezvous connections on "
                                + where() + " failed: " + e.getMessage(), e);
                    }
                    all.add(s);
                    Hello h;
                    try {
                        s.setSoTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, millisLeft(deadline))));
                        h = Hello.read(s.getInputStream());
                    } catch (IOException e) {
                        // a stray connection (port scanner, a rank that died while connecting): the rank,
                        // if it is one, retries or the rendezvous times out naming it
                        closeQuietly(s);
                        all.remove(s);
                        continue;
                    }
                    if (h == null) {
                        closeQuietly(s);
                        all.remove(s);
                        continue;
                    }
                    String from = s.getInetAddress().getHostAddress();
                    check(h, from, peers);
                    peers[h.rank] = s;
                    hosts[h.rank] = from;
                    ringPorts[h.rank] = h.ringPort;
                    joined++;
                }
                for (int r = 1; r < n; r++) {
                    DataOutputStream out = new DataOutputStream(peers[r].getOutputStream());
                    out.writeInt(MAGIC);
                    out.writeInt(OK);
                    out.writeInt(n);
                    for (int k = 0; k < n; k++) {
                        out.writeUTF(hosts[k]);
                        out.writeInt(ringPorts[k]);
                    }
                    out.flush();
                }
            } catch (CollectiveException e) {
                for (Socket s : all) {
                    sendError(s, e);
                }
                closeAll(e, all.toArray(new AutoCloseable[0]));
                close(e);
                throw e;
            } catch (IOException e) {
                CollectiveException ce = new CollectiveException(Reason.NETWORK, 0, -1,
                        "answering the ranks that joined on " + where() + " failed: " + e.getMessage(), e);
                closeAll(ce, all.toArray(new AutoCloseable[0]));
                close(ce);
                throw ce;
            }
            CollectiveException closing = new CollectiveException(Reason.NETWORK, 0, -1, "closing rendezvous sockets");
            closeAll(closing, all.toArray(new AutoCloseable[0]));
            closeAll(closing, server);
            if (closing.getSuppressed().length > 0) {
                closeAll(closing, ringServer);
                throw closing;
            }
            InetSocketAddress next = n == 1 ? null : new InetSocketAddress(hosts[1], ringPorts[1]);
            // everyone is known and listening: the ring gets its own time budget
            return connectRing(0, n, next, ringServer, System.nanoTime() + options.rendezvousTimeout().toNanos());
        }

        private void check(Hello h, String from, Socket[] peers) throws CollectiveException {
            int n = options.worldSize();
            if (h.version != VERSION) {
                throw new CollectiveException(Reason.PROTOCOL_ERROR, 0, h.rank, "rank " + h.rank + " at " + from
                        + " speaks collective protocol version " + h.version + " but rank 0 speaks " + VERSION
                        + ": run the same Sluice version on every node");
            }
            if (h.worldSize != n) {
                throw new CollectiveException(Reason.WORLD_SIZE_MISMATCH, 0, h.rank, "rank " + h.rank + " at " + from
                        + " was started with world size " + h.worldSize + " but rank 0 with world size " + n
                        + ": start every rank with the same WORLD_SIZE");
            }
            if (h.rank < 1 || h.rank >= n) {
                throw new CollectiveException(Reason.RANK_CONFLICT, 0, h.rank, "a process at " + from + " claims rank "
                        + h.rank + (h.rank == 0 ? ", which is this process (rank 0 listening on " + where() + ")"
                        : ", which is not in [0, " + n + ")") + ": give every process a distinct RANK");
            }
            if (peers[h.rank] != null) {
                throw new CollectiveException(Reason.RANK_CONFLICT, 0, h.rank, "two processes claim rank " + h.rank
                        + ": " + peers[h.rank].getInetAddress().getHostAddress() + " and " + from
                        + ": give every process a distinct RANK");
            }
            if (!h.fingerprint.equals(options.fingerprint())) {
                throw new CollectiveException(Reason.FINGERPRINT_MISMATCH, 0, h.rank, "rank " + h.rank + " at " + from
                        + " has configuration fingerprint '" + h.fingerprint + "' but rank 0 has '"
                        + options.fingerprint() + "': start every rank with the same configuration");
            }
        }

        private CollectiveException joinTimeout(Socket[] peers) {
            List<Integer> missing = new ArrayList<>();
            List<Integer> joined = new ArrayList<>();
            joined.add(0);
            for (int r = 1; r < peers.length; r++) {
                (peers[r] == null ? missing : joined).add(r);
            }
            return new CollectiveException(Reason.RENDEZVOUS_TIMEOUT, 0, missing.get(0), "rendezvous on " + where()
                    + " timed out after " + options.rendezvousTimeout().toMillis() + " ms: ranks " + missing + " of "
                    + peers.length + " did not join (joined: " + joined + "); check that they were started with"
                    + " MASTER_ADDR/MASTER_PORT pointing here and can reach this host");
        }

        private String where() {
            return options.masterHost() + ":" + server.getLocalPort();
        }

        private void close(CollectiveException into) {
            closeAll(into, server, ringServer);
        }

        @Override
        public void close() {
            CollectiveException ce = new CollectiveException(Reason.NETWORK, 0, -1, "closing rendezvous listeners");
            close(ce);
            if (ce.getSuppressed().length > 0) {
                throw new IllegalStateException(ce.getMessage(), ce);
            }
        }
    }

    /** A rank other than 0 joins the group. */
    static Links join(TcpOptions options) throws CollectiveException {
        int rank = options.rank();
        int n = options.worldSize();
        long deadline = System.nanoTime() + options.rendezvousTimeout().toNanos();
        String master = options.masterHost() + ":" + options.masterPort();
        Socket socket = connectToMaster(options, deadline);
        ServerSocketChannel ringServer = null;
        try {
            ringServer = ServerSocketChannel.open();
            ringServer.bind(new InetSocketAddress(socket.getLocalAddress(), 0));
            // rank 0 is alive and answers within its own timeout, which may have started after ours:
            // wait for its verdict (the ranks missing, or the ring table) up to one more timeout
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE,
                    Math.max(1, millisLeft(deadline)) + options.rendezvousTimeout().toMillis()));
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            new Hello(VERSION, rank, n, options.fingerprint(), ringServer.socket().getLocalPort()).write(out);
            out.flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            if (in.readInt() != MAGIC) {
                throw new CollectiveException(Reason.PROTOCOL_ERROR, rank, 0, "the server at " + master
                        + " is not a Sluice rank 0 (bad reply): check MASTER_ADDR/MASTER_PORT");
            }
            int status = in.readInt();
            if (status == ERROR) {
                int reason = in.readInt();
                int peer = in.readInt();
                String message = in.readUTF();
                Reason[] reasons = Reason.values();
                throw new CollectiveException(reason >= 0 && reason < reasons.length ? reasons[reason]
                        : Reason.PROTOCOL_ERROR, rank, peer, "rendezvous refused by rank 0 at " + master + ": " + message);
            }
            int world = in.readInt();
            if (status != OK || world != n) {
                throw new CollectiveException(Reason.PROTOCOL_ERROR, rank, 0, "rank 0 at " + master
                        + " sent a malformed rendezvous reply");
            }
            String[] hosts = new String[n];
            int[] ports = new int[n];
            for (int k = 0; k < n; k++) {
                hosts[k] = in.readUTF();
                ports[k] = in.readInt();
            }
            int next = (rank + 1) % n;
            InetSocketAddress nextAddress = next == 0
                    ? new InetSocketAddress(resolve(options, rank), ports[0])
                    : new InetSocketAddress(hosts[next], ports[next]);
            closeSocket(socket, rank);
            return connectRing(rank, n, nextAddress, ringServer,
                    System.nanoTime() + options.rendezvousTimeout().toNanos());
        } catch (SocketTimeoutException e) {
            CollectiveException ce = new CollectiveException(Reason.RENDEZVOUS_TIMEOUT, rank, 0, "rank 0 at " + master
                    + " accepted the connection but did not answer within twice the rendezvous timeout of "
                    + options.rendezvousTimeout().toMillis() + " ms (is rank 0 stuck?)", e);
            closeAll(ce, socket, ringServer);
            throw ce;
        } catch (EOFException e) {
            CollectiveException ce = new CollectiveException(Reason.PEER_FAILED, rank, 0, "rank 0 at " + master
                    + " closed the rendezvous connection without answering (did it fail? see its log)", e);
            closeAll(ce, socket, ringServer);
            throw ce;
        } catch (IOException e) {
            if (e instanceof CollectiveException ce) {
                closeAll(ce, socket, ringServer);
                throw ce;
            }
            CollectiveException ce = new CollectiveException(Reason.NETWORK, rank, 0, "rendezvous with rank 0 at "
                    + master + " failed: " + e.getMessage(), e);
            closeAll(ce, socket, ringServer);
            throw ce;
        }
    }

    /** Connects to rank 0, retrying while it is not listening yet (it may start later than us). */
    private static Socket connectToMaster(TcpOptions options, long deadline) throws CollectiveException {
        int rank = options.rank();
        String master = options.masterHost() + ":" + options.masterPort();
        long backoff = 20;
        IOException last = null;
        while (true) {
            long left = millisLeft(deadline);
            if (left <= 0) {
                throw new CollectiveException(Reason.RENDEZVOUS_TIMEOUT, rank, 0, "could not reach rank 0 at " + master
                        + " within " + options.rendezvousTimeout().toMillis() + " ms"
                        + (last == null ? "" : " (last error: " + last.getMessage() + ")")
                        + ": is rank 0 running and MASTER_ADDR/MASTER_PORT right?", last);
            }
            Socket s = new Socket();
            try {
                InetAddress address = InetAddress.getByName(options.masterHost());
                s.connect(new InetSocketAddress(address, options.masterPort()),
                        (int) Math.min(Integer.MAX_VALUE, left));
                s.setTcpNoDelay(true);
                return s;
            } catch (ConnectException | NoRouteToHostException | SocketTimeoutException | UnknownHostException e) {
                // rank 0 not up yet (or its name not resolvable yet): nothing to wait on but time
                last = e;
                closeQuietly(s);
            } catch (IOException e) {
                closeQuietly(s);
                throw new CollectiveException(Reason.NETWORK, rank, 0, "connecting to rank 0 at " + master + " failed: "
                        + e.getMessage(), e);
            }
            try {
                Thread.sleep(Math.min(backoff, Math.max(1, millisLeft(deadline))));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CollectiveException(Reason.INTERRUPTED, rank, -1, "interrupted while connecting to rank 0 at "
                        + master, e);
            }
            backoff = Math.min(1000, backoff * 2);
        }
    }

    /** Connects to rank+1's ring listener, accepts rank-1 and checks both handshakes. */
    private static Links connectRing(int rank, int n, InetSocketAddress nextAddress, ServerSocketChannel ringServer,
                                     long deadline) throws CollectiveException {
        if (n == 1) {
            CollectiveException ce = new CollectiveException(Reason.NETWORK, rank, -1, "closing the ring listener");
            closeAll(ce, ringServer);
            if (ce.getSuppressed().length > 0) {
                throw ce;
            }
            return new Links(null, null);
        }
        int next = (rank + 1) % n;
        int prev = (rank + n - 1) % n;
        SocketChannel toNext = null;
        SocketChannel fromPrev = null;
        try {
            try {
                toNext = SocketChannel.open();
                toNext.socket().connect(nextAddress, (int) Math.min(Integer.MAX_VALUE, Math.max(1, millisLeft(deadline))));
                toNext.socket().setTcpNoDelay(true);
                ByteBuffer hs = ByteBuffer.allocate(12).putInt(MAGIC).putInt(rank).putInt(n).flip();
                while (hs.hasRemaining()) {
                    toNext.write(hs);
                }
            } catch (IOException e) {
                throw new CollectiveException(Reason.NETWORK, rank, next, "could not connect to rank " + next
                        + " at " + nextAddress + ": " + e.getMessage(), e);
            }
            try {
                ringServer.socket().setSoTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, millisLeft(deadline))));
                Socket accepted = ringServer.socket().accept();
                fromPrev = accepted.getChannel();
                accepted.setTcpNoDelay(true);
                accepted.setSoTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, millisLeft(deadline))));
                DataInputStream in = new DataInputStream(accepted.getInputStream());
                int magic = in.readInt();
                int who = in.readInt();
                int world = in.readInt();
                if (magic != MAGIC || who != prev || world != n) {
                    throw new CollectiveException(Reason.PROTOCOL_ERROR, rank, prev, "expected rank " + prev
                            + " of " + n + " on the ring listener, but the connection from "
                            + accepted.getInetAddress().getHostAddress() + " says rank " + who + " of " + world);
                }
                accepted.setSoTimeout(0);
            } catch (SocketTimeoutException e) {
                throw new CollectiveException(Reason.RENDEZVOUS_TIMEOUT, rank, prev, "rank " + prev
                        + " did not connect to this rank's ring listener in time (did it fail? see its log)", e);
            } catch (EOFException e) {
                throw new CollectiveException(Reason.PEER_FAILED, rank, prev, "rank " + prev
                        + " closed its ring connection during setup (did it fail? see its log)", e);
            } catch (CollectiveException e) {
                throw e;
            } catch (IOException e) {
                throw new CollectiveException(Reason.NETWORK, rank, prev, "accepting rank " + prev
                        + "'s ring connection failed: " + e.getMessage(), e);
            }
            CollectiveException ce = new CollectiveException(Reason.NETWORK, rank, -1, "closing the ring listener");
            closeAll(ce, ringServer);
            if (ce.getSuppressed().length > 0) {
                throw ce;
            }
            return new Links(toNext, fromPrev);
        } catch (CollectiveException e) {
            closeAll(e, toNext, fromPrev, ringServer);
            throw e;
        }
    }

    private static InetAddress resolve(TcpOptions options, int rank) throws CollectiveException {
        try {
            return InetAddress.getByName(options.masterHost());
        } catch (UnknownHostException e) {
            throw new CollectiveException(Reason.NETWORK, rank, -1, "master host '" + options.masterHost()
                    + "' does not resolve: check MASTER_ADDR", e);
        }
    }

    private static void sendError(Socket s, CollectiveException e) {
        try {
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeInt(MAGIC);
            out.writeInt(ERROR);
            out.writeInt(e.reason().ordinal());
            out.writeInt(e.peerRank());
            out.writeUTF(e.getMessage());
            out.flush();
        } catch (IOException io) {
            // that rank is gone already; it will time out or has failed on its own
            e.addSuppressed(io);
        }
    }

    private static void closeSocket(Socket s, int rank) throws CollectiveException {
        try {
            s.close();
        } catch (IOException e) {
            throw new CollectiveException(Reason.NETWORK, rank, -1, "closing the rendezvous connection failed: "
                    + e.getMessage(), e);
        }
    }

    /** Closes everything, recording close failures on {@code into}. */
    static void closeAll(Exception into, AutoCloseable... resources) {
        for (AutoCloseable c : resources) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    into.addSuppressed(e);
                }
            }
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // the socket is being discarded after its own failure; nothing depends on a clean close
        }
    }

    static long millisLeft(long deadlineNanos) {
        return TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
    }

    /** What a rank sends to rank 0. */
    private record Hello(int version, int rank, int worldSize, String fingerprint, int ringPort) {

        /** Reads a hello, or returns null when the peer does not speak this protocol. */
        static Hello read(InputStream stream) throws IOException {
            DataInputStream in = new DataInputStream(stream);
            if (in.readInt() != MAGIC) {
                return null;
            }
            return new Hello(in.readInt(), in.readInt(), in.readInt(), in.readUTF(), in.readInt());
        }

        void write(OutputStream stream) throws IOException {
            DataOutputStream out = new DataOutputStream(stream);
            out.writeInt(MAGIC);
            out.writeInt(version);
            out.writeInt(rank);
            out.writeInt(worldSize);
            out.writeUTF(fingerprint);
            out.writeInt(ringPort);
            out.flush();
        }
    }
}
