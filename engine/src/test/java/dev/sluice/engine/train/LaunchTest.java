package dev.sluice.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The launch read from torchrun's or Slurm's variables, and errors that name the variable at fault. */
class LaunchTest {

    @Test
    void torchrunVariables() {
        Optional<Launch> l = Launch.fromEnvironment(Map.of("WORLD_SIZE", "4", "RANK", "2", "LOCAL_RANK", "0",
                "MASTER_ADDR", " node1 ", "MASTER_PORT", "1234"));
        assertEquals(Optional.of(new Launch(2, 4, 0, "node1", 1234)), l);
        assertTrue(Launch.fromEnvironment(Map.of("WORLD_SIZE", "1", "RANK", "0")).isEmpty(), "one process");
        assertTrue(Launch.fromEnvironment(Map.of()).isEmpty());
    }

    @Test
    void slurmVariablesWhenTorchrunsAreMissing() {
        Optional<Launch> l = Launch.fromEnvironment(Map.of("SLURM_NTASKS", "3", "SLURM_PROCID", "1",
                "SLURM_LOCALID", "1", "MASTER_ADDR", "n0"));
        assertEquals(Optional.of(new Launch(1, 3, 1, "n0", Launch.DEFAULT_PORT)), l);
    }

    @Test
    void errorsNameTheVariableThatWasRead() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Launch.fromEnvironment(Map.of("SLURM_NTASKS", "four", "SLURM_PROCID", "0", "MASTER_ADDR", "n0")));
        assertEquals("SLURM_NTASKS=four is not a number", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Launch.fromEnvironment(Map.of("SLURM_NTASKS", "2", "SLURM_PROCID", "5", "MASTER_ADDR", "n0")));
        assertEquals("SLURM_PROCID=5 is outside SLURM_NTASKS=2", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Launch.fromEnvironment(Map.of("SLURM_NTASKS", "2", "MASTER_ADDR", "n0")));
        assertTrue(e.getMessage().startsWith("SLURM_NTASKS=2 but neither RANK nor SLURM_PROCID is set"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Launch.fromEnvironment(Map.of("WORLD_SIZE", "2", "RANK", "1")));
        assertTrue(e.getMessage().startsWith("MASTER_ADDR is not set"), e.getMessage());
    }
}
