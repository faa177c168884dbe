package io.lakehose.local;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.CodeSource;

/** How to start this program again, from any directory, for the commands the banner prints. */
final class Launcher {

    private Launcher() {
    }

    /** {@code java -jar /abs/path/lakehose-local.jar}, or a {@code java -cp ...} line when not run from a jar. */
    static String command() {
        CodeSource source = LocalStackMain.class.getProtectionDomain().getCodeSource();
        if (source != null) {
            try {
                Path location = Path.of(source.getLocation().toURI());
                if (location.toString().endsWith(".jar")) {
                    return "java -jar " + shellWord(location.toString());
                }
            } catch (URISyntaxException e) {
                // not a file: fall back to the class path
            }
        }
        return "java -cp " + shellWord(System.getProperty("java.class.path")) + " " + LocalStackMain.class.getName();
    }

    /** Quoted for a POSIX shell when it needs to be (a checkout under a directory with spaces). */
    static String shellWord(String word) {
        return word.matches("[A-Za-z0-9_./:=@%+-]+") ? word : "'" + word.replace("'", "'\\''") + "'";
    }
}
