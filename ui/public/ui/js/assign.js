/**
 * "Assign a distribution set" for one or many targets, with action type, forced time, weight,
 * confirmation and maintenance window (hawkBit §4.3 assignment request, §6.7 maintenance windows).
 * One target: POST /targets/{id}/assignedDS; several: POST /distributionsets/{id}/assignedTargets.
 */
import { get, post, rsqlValue, seg } from "./api.js";
import { formDialog } from "./dialog.js";
import { h } from "./dom.js";
import { field, formValue, input, localDateTimeToMs, localUtcOffset, select } from "./forms.js";
import { toast } from "./notice.js";
import { picker } from "./picker.js";

/** Searches distribution sets by name (or "name:version") for a picker; newest first. */
export async function searchDistributionSets(text, signal, extra) {
	const [name, version] = text.split(":");
	const parts = [];
	if (name) {
		parts.push(`name==${rsqlValue(`*${name}*`)}`);
	}
	if (version) {
		parts.push(`version==${rsqlValue(`${version}*`)}`);
	}
	if (extra) {
		parts.push(extra);
	}
	const page = await get(
		"/distributionsets",
		{ q: parts.join(";") || undefined, limit: 20, sort: "id:DESC" },
		signal,
	);
	return page.content.map((ds) => ({
		value: String(ds.id),
		label: `${ds.name}:${ds.version}`,
		detail: [
			ds.typeName ?? ds.type,
			ds.complete === false ? "incomplete" : "",
			ds.valid === false ? "invalidated" : "",
		]
			.filter(Boolean)
			.join(" · "),
		item: ds,
	}));
}

/** The fields of an action (type, forced time, weight, confirmation); shared with rollouts. */
export function actionTypeFields({ withWeight = true } = {}) {
	const type = select(
		"type",
		[
			["forced", "Forced — install now"],
			["soft", "Soft — device decides"],
			["timeforced", "Time-forced — soft until a time"],
			["downloadonly", "Download only"],
		],
		"forced",
	);
	const forcetime = input("forcetime", { type: "datetime-local" });
	const forceField = field("Forced from", forcetime, "The action turns forced at this local time.");
	forceField.hidden = true;
	type.addEventListener("change", () => {
		forceField.hidden = type.value !== "timeforced";
		forcetime.required = type.value === "timeforced";
	});
	const confirmation = select(
		"confirmationRequired",
		[
			["", "Tenant default"],
			["true", "Required"],
			["false", "Not required"],
		],
		"",
	);
	return h(
		"div",
		null,
		h(
			"div",
			{ class: "row" },
			field("Action type", type),
			withWeight
				? field(
						"Weight",
						input("weight", { type: "number", min: 0, max: 1000, placeholder: "1000" }),
						"0–1000, higher first",
					)
				: null,
		),
		forceField,
		field(
			"Device confirmation",
			confirmation,
			"Whether the device (or an operator) must confirm before installing.",
		),
	);
}

/** Reads the fields of actionTypeFields into hawkBit's request members. */
export function readActionType(form) {
	const type = formValue(form, "type") ?? "forced";
	const body = { type };
	if (type === "timeforced") {
		body.forcetime = localDateTimeToMs(formValue(form, "forcetime"));
	}
	const weight = formValue(form, "weight");
	if (weight !== undefined) {
		body.weight = Number(weight);
	}
	const confirmation = formValue(form, "confirmationRequired");
	if (confirmation !== undefined) {
		body.confirmationRequired = confirmation === "true";
	}
	return body;
}

function maintenanceFields() {
	const enabled = h("input", { type: "checkbox", name: "mw" });
	const schedule = input("mwSchedule", { placeholder: "0 0 3 ? * *", class: "code" });
	const duration = input("mwDuration", {
		placeholder: "01:00:00",
		pattern: "\\d{1,2}:\\d{2}:\\d{2}",
	});
	const timezone = input("mwTimezone", { value: localUtcOffset(), pattern: "[+-]\\d{2}:\\d{2}" });
	const inner = h(
		"div",
		{ hidden: true },
		field(
			"Schedule (Quartz cron, with seconds)",
			schedule,
			"sec min hour day-of-month month day-of-week, e.g. 0 0 3 ? * * = every night at 03:00",
		),
		h(
			"div",
			{ class: "row" },
			field("Duration", duration, "HH:mm:ss"),
			field("Time zone", timezone, "UTC offset, e.g. +02:00"),
		),
	);
	enabled.addEventListener("change", () => {
		inner.hidden = !enabled.checked;
		for (const el of [schedule, duration, timezone]) {
			el.required = enabled.checked;
		}
	});
	return h(
		"fieldset",
		null,
		h("legend", null, h("label", { class: "check" }, enabled, "Maintenance window")),
		inner,
	);
}

function readMaintenance(form) {
	const box = form.elements.namedItem("mw");
	if (!box?.checked) {
		return undefined;
	}
	return {
		schedule: formValue(form, "mwSchedule"),
		duration: formValue(form, "mwDuration"),
		timezone: formValue(form, "mwTimezone"),
	};
}

/**
 * Opens the dialog. Resolves to the assignment response, or null when cancelled.
 * @param {string[]} controllerIds
 */
export function assignDialog(controllerIds) {
	const ds = picker({
		label: "Distribution set",
		name: "ds",
		required: true,
		placeholder: "Search by name or name:version",
		search: (text, signal) => searchDistributionSets(text, signal, "valid==true"),
	});
	const offline = h("input", { type: "checkbox", name: "offline" });
	const title =
		controllerIds.length === 1
			? `Assign to ${controllerIds[0]}`
			: `Assign to ${controllerIds.length} targets`;
	return formDialog({
		title,
		submitLabel: "Assign",
		wide: true,
		fields: [
			ds.el,
			actionTypeFields(),
			maintenanceFields(),
			h(
				"label",
				{ class: "check" },
				offline,
				"Offline: record as already installed, no deployment",
			),
		],
		onSubmit: async (form) => {
			const chosen = ds.value;
			if (!chosen) {
				throw new Error("Choose a distribution set from the list.");
			}
			const action = { ...readActionType(form) };
			const mw = readMaintenance(form);
			if (mw) {
				action.maintenanceWindow = mw;
			}
			const query = offline.checked ? { offline: true } : undefined;
			const res =
				controllerIds.length === 1
					? await post(
							`/targets/${seg(controllerIds[0])}/assignedDS`,
							{ id: Number(chosen.value), ...action },
							query,
						)
					: await post(
							`/distributionsets/${seg(chosen.value)}/assignedTargets`,
							controllerIds.map((id) => ({ id, ...action })),
							query,
						);
			toast(
				`${chosen.label}: ${res?.assigned ?? 0} assigned, ${res?.alreadyAssigned ?? 0} already assigned.`,
			);
			return res;
		},
	});
}
