package io.lakehose.input;

import java.io.IOException;

/**
 * {@code convert}'s input cannot be read as records at all: a path that does not exist, a
 * directory without files, a file that is neither GZIP nor JSON text. The message names the input
 * and says what is wrong; nothing of the refused file is converted.
 */
public final class InputRefusedException extends IOException {

    public InputRefusedException(String message) {
        super(message);
    }
}
