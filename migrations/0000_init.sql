CREATE TABLE `action_statuses` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant` text NOT NULL,
	`action_id` integer NOT NULL,
	`status` text NOT NULL,
	`timestamp` integer NOT NULL,
	`messages` text DEFAULT '[]' NOT NULL,
	`code` integer,
	`created_at` integer NOT NULL,
	`created_by` text DEFAULT 'system' NOT NULL,
	`last_modified_at` integer NOT NULL,
	`last_modified_by` text DEFAULT 'system' NOT NULL,
	FOREIGN KEY (`action_id`) REFERENCES `actions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `action_statuses_action_idx` ON `action_statuses` (`action_id`);--> statement-breakpoint
CREATE TABLE `actions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant` text NOT NULL,
	`target_id` integer NOT NULL,
	`ds_id` integer NOT NULL,
	`action_type` text DEFAULT 'forced' NOT NULL,
	`status` text NOT NULL,
	`active` integer NOT NULL,
	`weight` integer,
	`forced_time` integer,
	`maintenance_schedule` text,
	`maintenance_duration` text,
	`maintenance_timezone` text,
	`rollout_id` integer,
	`rollout_group_id` integer,
	`initiated_by` text,
	`external_ref` text,
	`last_action_status_code` integer,
	`created_at` integer NOT NULL,
	`created_by` text DEFAULT 'system' NOT NULL,
	`last_modified_at` integer NOT NULL,
	`last_modified_by` text DEFAULT 'system' NOT NULL,
	FOREIGN KEY (`target_id`) REFERENCES `targets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `actions_target_active_idx` ON `actions` (`target_id`,`active`);--> statement-breakpoint
CREATE INDEX `actions_tenant_ds_idx` ON `actions` (`tenant`,`ds_id`);--> statement-breakpoint
CREATE INDEX `actions_rollout_group_status_idx` ON `actions` (`rollout_group_id`,`status`);--> statement-breakpoint
CREATE INDEX `actions_rollout_idx` ON `actions` (`rollout_id`);--> statement-breakpoint
CREATE TABLE `distribution_set_metadata` (
	`ds_id` integer NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	PRIMARY KEY(`ds_id`, `key`),
	FOREIGN KEY (`ds_id`) REFERENCES `distribution_sets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `distribution_set_modules` (
	`ds_id` integer NOT NULL,
	`sm_id` integer NOT NULL,
	PRIMARY KEY(`ds_id`, `sm_id`),
	FOREIGN KEY (`ds_id`) REFERENCES `distribution_sets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`sm_id`) REFERENCES `software_modules`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `ds_modules_sm_idx` ON `distribution_set_modules` (`sm_id`);--> statement-breakpoint
CREATE TABLE `distribution_set_tag_assignments` (
	`ds_id` integer NOT NULL,
	`tag_id` integer NOT NULL,
	PRIMARY KEY(`ds_id`, `tag_id`),
	FOREIGN KEY (`ds_id`) REFERENCES `distribution_sets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`tag_id`) REFERENCES `distribution_set_tags`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `ds_tag_assignments_tag_idx` ON `distribution_set_tag_assignments` (`tag_id`);--> statement-breakpoint
CREATE TABLE `distribution_set_tags` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`colour` text,
	`created_at` integer NOT NULL,
	`created_by` text DEFAULT 'system' NOT NULL,
	`last_modified_at` integer NOT NULL,
	`last_modified_by` text DEFAULT 'system' NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ds_tags_name_uq` ON `distribution_set_tags` (`tenant`,`name`);--> statement-breakpoint
CREATE TABLE `distribution_set_type_module_types` (
	`ds_type_id` integer NOT NULL,
	`sm_type_id` integer NOT NULL,
	`mandatory` integer NOT NULL,
	PRIMARY KEY(`ds_type_id`, `sm_type_id`),
	FOREIGN KEY (`ds_type_id`) REFERENCES `distribution_set_types`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`sm_type_id`) REFERENCES `software_module_types`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `distribution_set_types` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant` text NOT NULL,
	`key` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`colour` text,
	`deleted` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text DEFAULT 'system' NOT NULL,
	`last_modified_at` integer NOT NULL,
	`last_modified_by` text DEFAULT 'system' NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ds_types_key_uq` ON `distribution_set_types` (`tenant`,`key`);--> statement-breakpoint
CREATE UNIQUE INDEX `ds_types_name_uq` ON `distribution_set_types` (`tenant`,`name`);--> statement-breakpoint
CREATE TABLE `distribution_sets` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant` text NOT NULL,
	`type_id` integer NOT NULL,
	`name` text NOT NULL,
	`version` text NOT NULL,
	`description` text,
	`required_migration_step` integer DEFAULT false NOT NULL,
	`locked` integer DEFAULT false NOT NULL,
	`valid` integer DEFAULT true NOT NULL,
	`deleted` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text DEFAULT 'system' NOT NULL,
	`last_modified_at` integer NOT NULL,
	`last_modified_by` text DEFAULT 'system' NOT NULL,
	FOREIGN KEY (`type_id`) REFERENCES `distribution_set_types`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `distribution_sets_nv_uq` ON `distribution_sets` (`tenant`,`name`,`version`);--> statement-breakpoint
CREATE TABLE `rollout_groups` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant` text NOT NULL,
	`rollout_id` integer NOT NULL,
	`parent_id` integer,
	`name` text NOT NULL,
	`description` text,
	`status` text DEFAULT 'creating' NOT NULL,
	`target_filter_query` text,
	`target_percentage` real DEFAULT 100 NOT NULL,
	`confirmation_required` integer,
	`dynamic` integer DEFAULT false NOT NULL,
	`total_targets` integer DEFAULT 0 NOT NULL,
	`success_condition` text DEFAULT 'THRESHOLD' NOT NULL,
	`success_condition_exp` text DEFAULT '50' NOT NULL,
	`success_action` text DEFAULT 'NEXTGROUP' NOT NULL,
	`success_action_exp` text,
	`error_condition` text DEFAULT 'THRESHOLD' NOT NULL,
	`error_condition_exp` text DEFAULT '50' NOT NULL,
	`error_action` text DEFAULT 'PAUSE' NOT NULL,
	`error_action_exp` text,
	`created_at` integer NOT NULL,
	`created_by` text DEFAULT 'system' NOT NULL,
	`last_modified_at` integer NOT NULL,
	`last_modified_by` text DEFAULT 'system' NOT NULL,
	FOREIGN KEY (`rollout_id`) REFERENCES `rollouts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `rollout_groups_rollout_idx` ON `rollout_groups` (`rollout_id`);--> statement-breakpoint
CREATE TABLE `rollout_target_groups` (
	`rollout_group_id` integer NOT NULL,
	`target_id` integer NOT NULL,
	PRIMARY KEY(`rollout_group_id`, `target_id`),
	FOREIGN KEY (`rollout_group_id`) REFERENCES `rollout_groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `rollout_target_groups_target_idx` ON `rollout_target_groups` (`target_id`);--> statement-breakpoint
CREATE TABLE `rollouts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`ds_id` integer NOT NULL,
	`target_filter_query` text NOT NULL,
	`status` text DEFAULT 'creating' NOT NULL,
	`action_type` text DEFAULT 'forced' NOT NULL,
	`forced_time` integer,
	`start_at` integer,
	`weight` integer,
	`dynamic` integer DEFAULT false NOT NULL,
	`confirmation_required` integer,
	`total_targets` integer DEFAULT 0 NOT NULL,
	`approval_remark` text,
	`approval_decided_by` text,
	`pause_reason` text,
	`deleted` integer DEFAULT false NOT NULL,
	`success_condition` text DEFAULT 'THRESHOLD' NOT NULL,
	`success_condition_exp` text DEFAULT '50' NOT NULL,
	`success_action` text DEFAULT 'NEXTGROUP' NOT NULL,
	`success_action_exp` text,
	`error_condition` text DEFAULT 'THRESHOLD' NOT NULL,
	`error_condition_exp` text DEFAULT '50' NOT NULL,
	`error_action` text DEFAULT 'PAUSE' NOT NULL,
	`error_action_exp` text,
	`created_at` integer NOT NULL,
	`created_by` text DEFAULT 'system' NOT NULL,
	`last_modified_at` integer NOT NULL,
	`last_modified_by` text DEFAULT 'system' NOT NULL
);
--> statement-breakpoint
CREATE INDEX `rollouts_tenant_status_idx` ON `rollouts` (`tenant`,`status`);--> statement-breakpoint
CREATE TABLE `artifacts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant` text NOT NULL,
	`software_module_id` integer NOT NULL,
	`filename` text NOT NULL,
	`sha1` text NOT NULL,
	`md5` text NOT NULL,
	`sha256` text,
	`size` integer NOT NULL,
	`r2_key` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text DEFAULT 'system' NOT NULL,
	`last_modified_at` integer NOT NULL,
	`last_modified_by` text DEFAULT 'system' NOT NULL,
	FOREIGN KEY (`software_module_id`) REFERENCES `software_modules`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `artifacts_module_filename_uq` ON `artifacts` (`software_module_id`,`filename`);--> statement-breakpoint
CREATE INDEX `artifacts_sha1_idx` ON `artifacts` (`tenant`,`sha1`);--> statement-breakpoint
CREATE TABLE `software_module_metadata` (
	`software_module_id` integer NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	`target_visible` integer DEFAULT false NOT NULL,
	PRIMARY KEY(`software_module_id`, `key`),
	FOREIGN KEY (`software_module_id`) REFERENCES `software_modules`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `software_module_types` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant` text NOT NULL,
	`key` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`colour` text,
	`max_assignments` integer DEFAULT 1 NOT NULL,
	`min_artifacts` integer DEFAULT 0 NOT NULL,
	`deleted` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text DEFAULT 'system' NOT NULL,
	`last_modified_at` integer NOT NULL,
	`last_modified_by` text DEFAULT 'system' NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sm_types_key_uq` ON `software_module_types` (`tenant`,`key`);--> statement-breakpoint
CREATE UNIQUE INDEX `sm_types_name_uq` ON `software_module_types` (`tenant`,`name`);--> statement-breakpoint
CREATE TABLE `software_modules` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant` text NOT NULL,
	`type_id` integer NOT NULL,
	`name` text NOT NULL,
	`version` text NOT NULL,
	`description` text,
	`vendor` text,
	`encrypted` integer DEFAULT false NOT NULL,
	`locked` integer DEFAULT false NOT NULL,
	`deleted` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text DEFAULT 'system' NOT NULL,
	`last_modified_at` integer NOT NULL,
	`last_modified_by` text DEFAULT 'system' NOT NULL,
	FOREIGN KEY (`type_id`) REFERENCES `software_module_types`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `software_modules_nvt_uq` ON `software_modules` (`tenant`,`name`,`version`,`type_id`);--> statement-breakpoint
CREATE TABLE `target_filters` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant` text NOT NULL,
	`name` text NOT NULL,
	`query` text NOT NULL,
	`auto_assign_ds_id` integer,
	`auto_assign_action_type` text,
	`auto_assign_weight` integer,
	`confirmation_required` integer,
	`auto_assign_initiated_by` text,
	`auto_assign_cursor` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text DEFAULT 'system' NOT NULL,
	`last_modified_at` integer NOT NULL,
	`last_modified_by` text DEFAULT 'system' NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `target_filters_name_uq` ON `target_filters` (`tenant`,`name`);--> statement-breakpoint
CREATE TABLE `target_type_ds_types` (
	`target_type_id` integer NOT NULL,
	`ds_type_id` integer NOT NULL,
	PRIMARY KEY(`target_type_id`, `ds_type_id`),
	FOREIGN KEY (`target_type_id`) REFERENCES `target_types`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `target_types` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant` text NOT NULL,
	`key` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`colour` text,
	`created_at` integer NOT NULL,
	`created_by` text DEFAULT 'system' NOT NULL,
	`last_modified_at` integer NOT NULL,
	`last_modified_by` text DEFAULT 'system' NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `target_types_key_uq` ON `target_types` (`tenant`,`key`);--> statement-breakpoint
CREATE UNIQUE INDEX `target_types_name_uq` ON `target_types` (`tenant`,`name`);--> statement-breakpoint
CREATE TABLE `target_attributes` (
	`target_id` integer NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	PRIMARY KEY(`target_id`, `key`),
	FOREIGN KEY (`target_id`) REFERENCES `targets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `target_metadata` (
	`target_id` integer NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	PRIMARY KEY(`target_id`, `key`),
	FOREIGN KEY (`target_id`) REFERENCES `targets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `target_tag_assignments` (
	`target_id` integer NOT NULL,
	`tag_id` integer NOT NULL,
	PRIMARY KEY(`target_id`, `tag_id`),
	FOREIGN KEY (`target_id`) REFERENCES `targets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`tag_id`) REFERENCES `target_tags`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `target_tag_assignments_tag_idx` ON `target_tag_assignments` (`tag_id`);--> statement-breakpoint
CREATE TABLE `target_tags` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`colour` text,
	`created_at` integer NOT NULL,
	`created_by` text DEFAULT 'system' NOT NULL,
	`last_modified_at` integer NOT NULL,
	`last_modified_by` text DEFAULT 'system' NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `target_tags_name_uq` ON `target_tags` (`tenant`,`name`);--> statement-breakpoint
CREATE TABLE `targets` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant` text NOT NULL,
	`controller_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`security_token` text NOT NULL,
	`address` text,
	`update_status` text DEFAULT 'unknown' NOT NULL,
	`last_target_query` integer,
	`installation_date` integer,
	`assigned_ds_id` integer,
	`installed_ds_id` integer,
	`target_type_id` integer,
	`group` text,
	`request_controller_attributes` integer DEFAULT true NOT NULL,
	`auto_confirm_active` integer DEFAULT false NOT NULL,
	`auto_confirm_initiator` text,
	`auto_confirm_remark` text,
	`auto_confirm_activated_at` integer,
	`auto_confirm_activated_by` text,
	`created_at` integer NOT NULL,
	`created_by` text DEFAULT 'system' NOT NULL,
	`last_modified_at` integer NOT NULL,
	`last_modified_by` text DEFAULT 'system' NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `targets_controller_id_uq` ON `targets` (`tenant`,`controller_id`);--> statement-breakpoint
CREATE INDEX `targets_assigned_ds_idx` ON `targets` (`tenant`,`assigned_ds_id`);--> statement-breakpoint
CREATE INDEX `targets_installed_ds_idx` ON `targets` (`tenant`,`installed_ds_id`);--> statement-breakpoint
CREATE INDEX `targets_created_at_idx` ON `targets` (`tenant`,`created_at`);--> statement-breakpoint
CREATE INDEX `targets_group_idx` ON `targets` (`tenant`,`group`);--> statement-breakpoint
CREATE TABLE `api_tokens` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant` text NOT NULL,
	`name` text NOT NULL,
	`token_hash` text NOT NULL,
	`authorities` text DEFAULT '[]' NOT NULL,
	`expires_at` integer,
	`created_at` integer NOT NULL,
	`created_by` text DEFAULT 'system' NOT NULL,
	`last_modified_at` integer NOT NULL,
	`last_modified_by` text DEFAULT 'system' NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_hash_uq` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE TABLE `tenant_configs` (
	`tenant` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text DEFAULT 'system' NOT NULL,
	`last_modified_at` integer NOT NULL,
	`last_modified_by` text DEFAULT 'system' NOT NULL,
	PRIMARY KEY(`tenant`, `key`)
);
--> statement-breakpoint
CREATE TABLE `tenants` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`default_ds_type_id` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tenants_name_uq` ON `tenants` (`name`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant` text NOT NULL,
	`username` text NOT NULL,
	`password_hash` text NOT NULL,
	`authorities` text DEFAULT '[]' NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text DEFAULT 'system' NOT NULL,
	`last_modified_at` integer NOT NULL,
	`last_modified_by` text DEFAULT 'system' NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_tenant_username_uq` ON `users` (`tenant`,`username`);