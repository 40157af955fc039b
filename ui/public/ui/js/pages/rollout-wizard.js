/**
 * Rollout creation wizard: what (distribution set, action type), who (target query or saved filter),
 * how (equal or custom groups, success/error conditions), then a review that previews the groups with
 * target counts from the API before anything is created.
 */
import { count, get, post, rsqlValue } from "../api.js";
import { actionTypeFields, readActionType, searchDistributionSets } from "../assign.js";
import { h, replace } from "../dom.js";
import { code, formatCount } from "../format.js";
import { checkbox, field, formValue, input, localDateTimeToMs, select } from "../forms.js";
import { href, navigate } from "../links.js";
import { errorBox, showError, toast } from "../notice.js";
import { picker } from "../picker.js";
import { customGroupSizes, equalGroupSizes, groupQuery, isThreshold } from "../rollout-plan.js";
import { can } from "../session.js";
import { queryWithCount } from "./target-filters.js";

const STEPS = ["Distribution set", "Targets", "Groups", "Review"];

export default async function rolloutWizard() {
	let step = 0;
	const slot = errorBox(null);
	const stepList = h("ol", { class: "steps", "aria-label": "Steps" });
	const panels = [];
	const back = h("button", { type: "button", class: "btn", onclick: () => go(step - 1) }, "Back");
	const nextButton = h("button", { type: "submit", class: "btn btn-primary" }, "Next");
	// Each step is validated on its own (hidden steps must not block "Next"), so no form-wide validation.
	const form = h("form", { class: "card", novalidate: true, onsubmit: (e) => onNext(e) });

	// Step 1: what
	const ds = picker({
		label: "Distribution set",
		name: "ds",
		required: true,
		placeholder: "Search by name or name:version",
		hint: "Only valid sets are offered; the set must also be complete.",
		search: (text, signal) => searchDistributionSets(text, signal, "valid==true"),
	});
	panels.push(
		h(
			"div",
			null,
			h(
				"div",
				{ class: "row" },
				field("Name", input("name", { required: true, maxlength: 128 })),
				field("Description", input("description", { maxlength: 512 })),
			),
			ds.el,
			actionTypeFields(),
		),
	);

	// Step 2: who
	const savedFilter = picker({
		label: "Start from a saved filter (optional)",
		name: "savedFilter",
		placeholder: "Saved filters…",
		search: async (text, signal) => {
			const page = await get(
				"/targetfilters",
				{ q: text ? `name==${rsqlValue(`*${text}*`)}` : undefined, limit: 20, sort: "name:ASC" },
				signal,
			);
			return page.content.map((f) => ({
				value: String(f.id),
				label: f.name,
				detail: f.query,
				item: f,
			}));
		},
		onPick: (choice) => {
			if (choice) {
				const box = form.elements.namedItem("targetFilterQuery");
				box.value = choice.item.query;
				box.dispatchEvent(new Event("input"));
			}
		},
	});
	panels.push(
		h(
			"div",
			null,
			savedFilter.el,
			queryWithCount("targetFilterQuery", "", "Target filter (RSQL)"),
			h(
				"p",
				{ class: "hint" },
				"Targets created after the rollout are not included (unless the rollout is dynamic). Targets whose type is not compatible with the distribution set are skipped.",
			),
		),
	);

	// Step 3: how
	const mode = select(
		"mode",
		[
			["equal", "Equal groups"],
			["custom", "Custom groups (e.g. a canary group first)"],
		],
		"equal",
	);
	const equalFields = h(
		"div",
		null,
		field(
			"Number of groups",
			input("amountGroups", { type: "number", min: 1, max: 500, value: 5, required: true }),
		),
		checkbox("dynamic", "Dynamic: keep adding targets that match later, in extra groups"),
	);
	const groupRows = h("div", null);
	const addGroup = (name = "", filter = "", pct = 100) => {
		const row = h(
			"fieldset",
			{ class: "group-row" },
			h("legend", null, `Group ${groupRows.children.length + 1}`),
			h(
				"div",
				{ class: "row" },
				field("Name", input("gName", { required: true, maxlength: 128, value: name })),
				field(
					"Share of its matching targets (%)",
					input("gPct", { type: "number", min: 1, max: 100, value: pct, required: true }),
				),
			),
			field(
				"Extra filter (optional, ANDed with the rollout filter)",
				input("gFilter", { value: filter, class: "code", spellcheck: "false" }),
			),
			h(
				"button",
				{
					type: "button",
					class: "btn btn-small btn-ghost-danger",
					onclick: () => {
						row.remove();
						renumber();
					},
				},
				"Remove group",
			),
		);
		groupRows.append(row);
	};
	const renumber = () => {
		for (const [i, fs] of [...groupRows.children].entries()) {
			fs.querySelector("legend").textContent = `Group ${i + 1}`;
		}
	};
	addGroup("canary", "", 10);
	addGroup("rest", "", 100);
	const customFields = h(
		"div",
		{ hidden: true },
		groupRows,
		h(
			"button",
			{
				type: "button",
				class: "btn btn-small",
				onclick: () => addGroup(`group-${groupRows.children.length + 1}`),
			},
			"Add group",
		),
		h(
			"p",
			{ class: "hint" },
			"Groups fill in order; the last group should take 100 % without an extra filter so every target is covered.",
		),
	);
	mode.addEventListener("change", () => {
		equalFields.hidden = mode.value !== "equal";
		customFields.hidden = mode.value !== "custom";
	});
	const startSelect = select(
		"start",
		[
			["manual", "Start manually after creation"],
			["now", "Start as soon as it is ready"],
			["at", "Start at a time"],
		],
		"manual",
	);
	const startAt = input("startAt", { type: "datetime-local" });
	const startAtField = field("Start at", startAt);
	startAtField.hidden = true;
	startSelect.addEventListener("change", () => {
		startAtField.hidden = startSelect.value !== "at";
		startAt.required = startSelect.value === "at";
	});
	panels.push(
		h(
			"div",
			null,
			field("Grouping", mode),
			equalFields,
			customFields,
			h(
				"fieldset",
				null,
				h("legend", null, "Cascade conditions"),
				h(
					"div",
					{ class: "row" },
					field(
						"Next group when finished ≥ (%)",
						input("successThreshold", {
							type: "number",
							min: 0,
							max: 100,
							value: 80,
							required: true,
						}),
					),
					field(
						"Then",
						select(
							"successAction",
							[
								["NEXTGROUP", "Start the next group"],
								["PAUSE", "Pause (resume starts the next group)"],
							],
							"NEXTGROUP",
						),
					),
				),
				h(
					"div",
					{ class: "row" },
					field(
						"Pause when errors > (%)",
						input("errorThreshold", {
							type: "number",
							min: 0,
							max: 100,
							value: 20,
							required: true,
						}),
					),
				),
			),
			can("HANDLE_ROLLOUT") ? h("div", null, field("Start", startSelect), startAtField) : null,
		),
	);

	// Step 4: review
	const review = h("div", null);
	panels.push(review);

	function readGroups() {
		return [...groupRows.children].map((fs) => ({
			name: fs.querySelector("[name=gName]").value.trim(),
			targetPercentage: Number(fs.querySelector("[name=gPct]").value),
			targetFilterQuery: fs.querySelector("[name=gFilter]").value.trim(),
		}));
	}

	function buildBody() {
		const query = formValue(form, "targetFilterQuery");
		const body = {
			name: formValue(form, "name"),
			description: formValue(form, "description"),
			distributionSetId: Number(ds.value?.value),
			targetFilterQuery: query,
			...readActionType(form),
			successCondition: {
				condition: "THRESHOLD",
				expression: String(formValue(form, "successThreshold")),
			},
			successAction: { action: formValue(form, "successAction"), expression: "" },
			errorCondition: {
				condition: "THRESHOLD",
				expression: String(formValue(form, "errorThreshold")),
			},
			errorAction: { action: "PAUSE", expression: "" },
		};
		if (mode.value === "equal") {
			body.amountGroups = Number(formValue(form, "amountGroups"));
			if (form.elements.namedItem("dynamic")?.checked) {
				body.dynamic = true;
			}
		} else {
			body.groups = readGroups().map((g) => ({
				name: g.name,
				targetPercentage: g.targetPercentage,
				targetFilterQuery: g.targetFilterQuery || undefined,
			}));
		}
		const start = form.elements.namedItem("start")?.value ?? "manual";
		if (start === "now") {
			body.startAt = Date.now();
		} else if (start === "at") {
			body.startAt = localDateTimeToMs(formValue(form, "startAt"));
		}
		return body;
	}

	async function renderReview() {
		const body = buildBody();
		replace(review, h("p", { class: "muted" }, "Counting targets…"));
		const total = await count("/targets", body.targetFilterQuery);
		let rows;
		let unassigned = 0;
		if (body.groups) {
			const matching = await Promise.all(
				body.groups.map((g) =>
					g.targetFilterQuery
						? count("/targets", groupQuery(body.targetFilterQuery, g.targetFilterQuery))
						: total,
				),
			);
			const plan = customGroupSizes(
				total,
				body.groups.map((g, i) => ({
					filtered: Boolean(g.targetFilterQuery),
					matching: matching[i],
					targetPercentage: g.targetPercentage,
				})),
			);
			unassigned = plan.unassigned;
			rows = body.groups.map((g, i) => [
				g.name,
				g.targetFilterQuery ? code(g.targetFilterQuery) : h("span", { class: "muted" }, "—"),
				`${g.targetPercentage} %`,
				plan.sizes[i],
			]);
		} else {
			rows = equalGroupSizes(total, body.amountGroups).map((n, i) => [
				`group-${i + 1}`,
				h("span", { class: "muted" }, "—"),
				`${Math.round(10000 / body.amountGroups) / 100} %`,
				n,
			]);
		}
		const warnings = [];
		if (total === 0) {
			warnings.push("The filter matches no target: the server will refuse this rollout.");
		}
		if (unassigned > 0) {
			warnings.push(
				`About ${formatCount(unassigned)} targets fall into no group: the server will refuse this rollout. Make the last group 100 % without an extra filter.`,
			);
		}
		replace(
			review,
			h(
				"dl",
				{ class: "props" },
				h("dt", null, "Name"),
				h("dd", null, body.name),
				h("dt", null, "Distribution set"),
				h("dd", null, ds.value?.label),
				h("dt", null, "Action type"),
				h("dd", null, body.type),
				h("dt", null, "Targets"),
				h("dd", null, code(body.targetFilterQuery), ` → ${formatCount(total)} now`),
				h("dt", null, "Cascade"),
				h(
					"dd",
					null,
					`next group when ≥ ${body.successCondition.expression} % finished (${body.successAction.action.toLowerCase()}); pause when > ${body.errorCondition.expression} % failed`,
				),
				h("dt", null, "Start"),
				h("dd", null, body.startAt ? new Date(body.startAt).toLocaleString() : "manually"),
			),
			h(
				"table",
				{ class: "table", "aria-label": "Group preview" },
				h("caption", { class: "sr-only" }, "Estimated groups"),
				h(
					"thead",
					null,
					h(
						"tr",
						null,
						h("th", null, "Group"),
						h("th", null, "Extra filter"),
						h("th", null, "Share"),
						h("th", { class: "num" }, "Targets (estimate)"),
					),
				),
				h(
					"tbody",
					null,
					rows.map(([name, filter, pct, n]) =>
						h(
							"tr",
							null,
							h("td", null, name),
							h("td", null, filter),
							h("td", null, pct),
							h("td", { class: "num" }, formatCount(n)),
						),
					),
				),
			),
			warnings.map((w) => h("div", { class: "alert alert-error", role: "alert" }, w)),
			h(
				"p",
				{ class: "hint" },
				"Counts are taken now; the server fills the groups when the rollout is created, skipping targets whose type does not accept this distribution set.",
			),
		);
	}

	/** Native validation of the visible controls of the current step; false after reporting one. */
	function stepIsValid() {
		for (const el of panels[step].querySelectorAll("input, select, textarea")) {
			if (el.offsetParent !== null && !el.checkValidity()) {
				el.reportValidity();
				return false;
			}
		}
		return true;
	}

	function validateStep() {
		if (step === 0 && !ds.value) {
			throw new Error("Choose a distribution set from the list.");
		}
		if (step === 2) {
			for (const name of ["successThreshold", "errorThreshold"]) {
				if (!isThreshold(formValue(form, name))) {
					throw new Error("Thresholds are whole percentages from 0 to 100.");
				}
			}
			if (mode.value === "custom" && groupRows.children.length === 0) {
				throw new Error("Add at least one group.");
			}
		}
	}

	async function onNext(e) {
		e.preventDefault();
		showError(slot, null);
		if (!stepIsValid()) {
			return;
		}
		try {
			validateStep();
			if (step < STEPS.length - 1) {
				await go(step + 1);
				return;
			}
			nextButton.disabled = true;
			const created = await post("/rollouts", buildBody());
			toast(`Rollout ${created.name} created.`);
			navigate(`/rollouts/${created.id}`);
		} catch (err) {
			showError(slot, err);
			nextButton.disabled = false;
		}
	}

	async function go(to) {
		step = Math.max(0, Math.min(STEPS.length - 1, to));
		for (const [i, p] of panels.entries()) {
			p.hidden = i !== step;
		}
		replace(
			stepList,
			STEPS.map((label, i) =>
				h("li", { "aria-current": i === step ? "step" : undefined }, `${i + 1}. ${label}`),
			),
		);
		back.disabled = step === 0;
		nextButton.textContent = step === STEPS.length - 1 ? "Create rollout" : "Next";
		if (step === STEPS.length - 1) {
			try {
				await renderReview();
			} catch (err) {
				replace(review, errorBox(err));
			}
		}
		panels[step].querySelector("input, select, textarea")?.focus();
	}

	replace(
		form,
		panels,
		slot,
		h(
			"div",
			{ class: "wizard-actions" },
			h("a", { class: "btn", href: href("/rollouts") }, "Cancel"),
			back,
			nextButton,
		),
	);
	await go(0);
	return h(
		"div",
		null,
		h("div", { class: "crumbs" }, h("a", { href: href("/rollouts") }, "Rollouts"), " / new"),
		h("div", { class: "page-head" }, h("h1", null, "New rollout")),
		stepList,
		form,
	);
}
