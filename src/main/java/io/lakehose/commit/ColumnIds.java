package io.lakehose.commit;

import org.apache.parquet.schema.MessageType;

import java.util.function.UnaryOperator;

/**
 * How a data file's Parquet schema gets the field ids its reader looks columns up by: Iceberg
 * reads a file's columns by id, so a file meant for a table carries the table's ids (the folder
 * layout needs none, and readers of the folders ignore them).
 */
@FunctionalInterface
public interface ColumnIds {

    /** No ids: the folder layout. */
    ColumnIds NONE = table -> UnaryOperator.identity();

    /** Sets ids on the schema of a file of {@code table}'s rows; must keep its structure and names. */
    UnaryOperator<MessageType> forTable(String table);
}
