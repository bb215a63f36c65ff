package dev.sluice.engine.train;

import java.util.Map;
import java.util.Optional;

/**
 * Where this process sits in a multi-process job, from the variables torchrun sets
 * ({@code RANK}, {@code WORLD_SIZE}, {@code LOCAL_RANK}, {@code MASTER_ADDR}, {@code MASTER_PORT}) or,
 * failing those, Slurm's ({@code SLURM_PROCID}, {@code SLURM_NTASKS}, {@code SLURM_LOCALID}; Slurm
 * jobs still export {@code MASTER_ADDR}, see the README's script).
 *
 * @param rank this process's rank
 * @param worldSize number of processes
 * @param localRank rank among the processes on this node
 * @param masterAddr host of rank 0
 * @param masterPort rendezvous port on rank 0
 */
public record Launch(int rank, int worldSize, int localRank, String masterAddr, int masterPort) {

    /** Port used when {@code MASTER_PORT} is not set, as torchrun does. */
    public static final int DEFAULT_PORT = 29500;

    /**
     * The launch described by the environment, or empty for a single-process job.
     *
     * @throws IllegalArgumentException naming the variable that is missing, malformed or inconsistent
     */
    public static Optional<Launch> fromEnvironment(Map<String, String> env) {
        String world = first(env, "WORLD_SIZE", "SLURM_NTASKS");
        if (world == null || parse(env, world) <= 1) {
            return Optional.empty();
        }
        int w = parse(env, world);
        String rankVar = env.containsKey("RANK") ? "RANK" : "SLURM_PROCID";
        if (!env.containsKey(rankVar)) {
            throw new IllegalArgumentException(world + "=" + w + " but neither RANK nor SLURM_PROCID is set;"
                    + " launch with torchrun or srun, or set RANK for each process");
        }
        int rank = parse(env, rankVar);
        if (rank < 0 || rank >= w) {
            throw new IllegalArgumentException(rankVar + "=" + rank + " is outside " + world + "=" + w);
        }
        String localVar = env.containsKey("LOCAL_RANK") ? "LOCAL_RANK" : "SLURM_LOCALID";
        int local = env.containsKey(localVar) ? parse(env, localVar) : 0;
        String addr = env.get("MASTER_ADDR");
        if (addr == null || addr.isBlank()) {
            throw new IllegalArgumentException("MASTER_ADDR is not set: every process needs the host of rank 0"
                    + " (torchrun sets it; under Slurm export it, e.g. the first host of $SLURM_JOB_NODELIST)");
        }
        int port = env.containsKey("MASTER_PORT") ? parse(env, "MASTER_PORT") : DEFAULT_PORT;
        return Optional.of(new Launch(rank, w, local, addr.trim(), port));
    }

    private static String first(Map<String, String> env, String a, String b) {
        return env.containsKey(a) ? a : env.containsKey(b) ? b : null;
    }

    /** The variable's value as a number; the error names the variable actually read. */
    private static int parse(Map<String, String> env, String var) {
        String v = env.get(var);
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException | NullPointerException e) {
            throw new IllegalArgumentException(var + "=" + v + " is not a number");
        }
    }
}
