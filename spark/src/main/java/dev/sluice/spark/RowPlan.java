package dev.sluice.spark;

import dev.sluice.data.format.Schema;
import java.io.Serializable;
import java.util.List;

/**
 * The fields a DataFrame's rows become, in column order, and where each row's split comes from (a
 * column, or one split for every row). Built on the driver by {@link ColumnMapping}, shipped to tasks.
 */
final class RowPlan implements Serializable {

    private static final long serialVersionUID = 1L;

    private final List<FieldPlan> fields;
    private final int splitColumn;
    private final String split;

    RowPlan(List<FieldPlan> fields, int splitColumn, String split) {
        this.fields = List.copyOf(fields);
        this.splitColumn = splitColumn;
        this.split = split;
    }

    List<FieldPlan> fields() {
        return fields;
    }

    /** The dataset schema: one field per stored column, in column order. */
    Schema schema() {
        return new Schema(fields.stream().map(FieldPlan::spec).toList());
    }

    /** Index of the column naming each row's split, or -1 when every row goes to {@link #split()}. */
    int splitColumn() {
        return splitColumn;
    }

    /** The split of every row when there is no split column. */
    String split() {
        return split;
    }
}
