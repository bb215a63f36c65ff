package dev.sluice.engine.cli;

import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Parses sizes such as {@code 64MB}, {@code 8M}, {@code 512k}, {@code 2GiB} or plain bytes (powers of 1024). */
public final class ByteSizeConverter implements ITypeConverter<Long> {

    @Override
    public Long convert(String value) {
        return parse(value);
    }

    /** Parses a size; throws a {@link TypeConversionException} naming the accepted forms. */
    public static long parse(String value) {
        String v = value.trim().toUpperCase(Locale.ROOT).replace("IB", "").replace("B", "");
        long mult = 1;
        if (v.endsWith("K")) {
            mult = 1L << 10;
        } else if (v.endsWith("M")) {
            mult = 1L << 20;
        } else if (v.endsWith("G")) {
            mult = 1L << 30;
        } else if (v.endsWith("T")) {
            mult = 1L << 40;
        }
        String num = mult == 1 ? v : v.substring(0, v.length() - 1);
        try {
            double d = Double.parseDouble(num);
            if (d <= 0) {
                throw new TypeConversionException("size '" + value + "' must be positive");
            }
            return (long) (d * mult);
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is not a size; use e.g. 64MB, 8M, 512K, 2G or bytes");
        }
    }
}
