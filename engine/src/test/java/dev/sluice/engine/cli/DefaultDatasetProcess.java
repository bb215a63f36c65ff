package dev.sluice.engine.cli;

import dev.sluice.engine.datasets.DefaultDataset;

/** A child process for {@link DefaultDatasetImportTest}: ensures the default dataset and prints its location. */
public final class DefaultDatasetProcess {

    private DefaultDatasetProcess() {}

    public static void main(String[] args) throws Exception {
        System.out.println("ready");
        System.out.println("dataset " + DefaultDataset.ensure(System.out));
    }
}
