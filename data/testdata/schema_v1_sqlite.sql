-- The schema of the first commit (e692dea), as its AutoMigrate left it on
-- SQLite: migrate_test.go opens a database of this shape with today's code.
CREATE TABLE `batches` (`id` integer PRIMARY KEY AUTOINCREMENT,`update_id` integer,`kind` text NOT NULL,`reverts` integer,`user_id` integer NOT NULL,`user_name` text,`chat_id` integer,`message_id` integer,`text` text,`created_at` datetime NOT NULL);
CREATE INDEX `idx_batches_message` ON `batches`(`chat_id`,`message_id`);
CREATE INDEX `idx_batches_user_id` ON `batches`(`user_id`);
CREATE UNIQUE INDEX `idx_batches_reverts` ON `batches`(`reverts`);
CREATE UNIQUE INDEX `idx_batches_update_id` ON `batches`(`update_id`);
CREATE TABLE `entries` (`id` integer PRIMARY KEY AUTOINCREMENT,`batch_id` integer NOT NULL,`county` text NOT NULL,`indicator` text NOT NULL,`op` text NOT NULL,`amount` integer,`delta` integer NOT NULL,`line` text,`user_id` integer NOT NULL,`user_name` text,`chat_id` integer,`message_id` integer,`created_at` datetime NOT NULL);
CREATE INDEX `idx_entries_county` ON `entries`(`county`);
CREATE INDEX `idx_entries_batch_id` ON `entries`(`batch_id`);
CREATE TABLE `totals` (`county` text,`indicator` text,`done` integer NOT NULL,PRIMARY KEY (`county`,`indicator`));
CREATE TABLE `roster` (`user_id` integer,`role` text NOT NULL,`county` text,`name` text,PRIMARY KEY (`user_id`));
CREATE TABLE `choices` (`id` integer PRIMARY KEY AUTOINCREMENT,`user_id` integer NOT NULL,`chat_id` integer NOT NULL,`message_id` integer,`options` text,`created_at` datetime);
