package io.keelfs.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Sizes written the way people write them: {@code 4096}, {@code 64M}, {@code 1G}, {@code 2TiB}.
 *
 * <p>Suffixes K, M, G and T are powers of 1024, case-insensitive, optionally followed by
 * {@code iB}. Plain digits are bytes. Bad input is an {@link IllegalArgumentException} whose
 * message quotes the text.
 *
 * <p>Thread-safety: stateless.
 */
public final class ByteSizes {
    private static final Pattern SIZE = Pattern.compile("([0-9]+)([KMGT](?:iB)?)?",
            Pattern.CASE_INSENSITIVE);
    private static final String SUFFIXES = "KMGT";

    private ByteSizes() {}

    /** Parses a size; see the class comment for the syntax. */
    public static long parse(String text) {
        Matcher matcher = SIZE.matcher(text.trim());
        if (!matcher.matches()) {
            throw new IllegalArgumentException(String.format(
                    "size '%s' is not a whole number of bytes with an optional suffix"
                            + " K, M, G or T (powers of 1024), e.g. 64M",
                    text));
        }
        String suffix = matcher.group(2);
        int shift = suffix == null
                ? 0
                : 10 * (1 + SUFFIXES.indexOf(suffix.toUpperCase(Locale.ROOT).charAt(0)));
        try {
            long number = Long.parseLong(matcher.group(1));
            if (shift > 0 && number > (Long.MAX_VALUE >> shift)) {
                throw new NumberFormatException();
            }
            return number << shift;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(String.format(
                    "size '%s' is too large (at most %d bytes)", text, Long.MAX_VALUE), e);
        }
    }

    /** The largest exact unit: 1073741824 -> "1G", 1536 -> "1536", 3145728 -> "3M". */
    public static String format(long sizeBytes) {
        for (int i = SUFFIXES.length() - 1; i >= 0; i--) {
            long unit = 1L << (10 * (i + 1));
            if (sizeBytes != 0 && sizeBytes % unit == 0) {
                return (sizeBytes / unit) + SUFFIXES.substring(i, i + 1);
            }
        }
        return Long.toString(sizeBytes);
    }

    /** picocli converter; its message becomes "Invalid value for option '--size': ...". */
    public static final class Converter implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
