package dev.sluice.engine.collective;

import dev.sluice.nccl.NcclLoadOptions;
import java.nio.file.Path;

/**
 * The NCCL load options every engine test uses, so whichever test loads NCCL first in a JVM does it
 * the same way (the outcome is remembered per JVM). On a GPU host, point SLUICE_NCCL_LIB at
 * libnccl.so.2 or its directory when it is not on LD_LIBRARY_PATH.
 */
final class TestNccl {
    private TestNccl() {
    }

    static NcclLoadOptions options() {
        String lib = System.getenv("SLUICE_NCCL_LIB");
        return lib == null || lib.isBlank() ? NcclLoadOptions.defaults()
                : NcclLoadOptions.defaults().withNcclLibrary(Path.of(lib));
    }
}
