/**
 * End-of-run reporting from {@code metrics.jsonl}: PNG charts (loss, accuracy, throughput, the
 * split of step time) and a text table of the epochs. {@link dev.sluice.engine.report.RunReport#write}
 * does both in one call; it only reads the metrics file, so it works on any run directory,
 * including one whose file a resumed run appended to.
 */
package dev.sluice.engine.report;
