package io.lakehose.decode;

/** DynamoDB's rule for table names: 3 to 255 characters of A-Z, a-z, 0-9, '_', '.' and '-'. */
public final class TableNames {

    private TableNames() {
    }

    public static boolean isValid(String name) {
        if (name == null || name.length() < 3 || name.length() > 255) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '_' || c == '.' || c == '-';
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
