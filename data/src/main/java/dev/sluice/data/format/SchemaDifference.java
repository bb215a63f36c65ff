package dev.sluice.data.format;

import java.util.ArrayList;
import java.util.List;

/** Says in words how two schemas differ, for errors where a split is added to an existing dataset. */
final class SchemaDifference {

    private SchemaDifference() {}

    /**
     * @return e.g. {@code "field 'label' has other class names: the dataset has [cat, dog], the new samples
     *     have [ant, bee]"}, naming each differing field, or both field lists when the fields themselves differ
     */
    static String describe(Schema existing, Schema added) {
        if (existing.size() != added.size()) {
            return "the dataset there has fields " + existing + " but the new samples have " + added;
        }
        List<String> diffs = new ArrayList<>();
        for (int f = 0; f < existing.size(); f++) {
            FieldSpec a = existing.field(f);
            FieldSpec b = added.field(f);
            if (a.equals(b)) {
                continue;
            }
            if (a.equals(b.withClasses(a.classes()))) {
                diffs.add("field '" + a.name() + "' has other class names: the dataset has " + a.classes()
                        + ", the new samples have " + b.classes());
            } else {
                diffs.add("field " + (f + 1) + " is " + a + " in the dataset but " + b + " in the new samples");
            }
        }
        return String.join("; ", diffs);
    }
}
