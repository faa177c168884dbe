package io.lakehose.cli;

import picocli.CommandLine;

/** Version from the jar manifest (the build's version), "dev" when run from classes. */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Main.class.getPackage().getImplementationVersion();
        return new String[] {"lakehose " + (v == null ? "dev" : v)};
    }
}
