/**
 * The metadata card of a target, software module or distribution set (hawkBit's `…/metadata`
 * sub-resource: list, create with POST [..], update with PUT {value}, delete).
 */
import { del, get, post, put, seg } from "./api.js";
import { confirmDialog, formDialog } from "./dialog.js";
import { h, replace, uid } from "./dom.js";
import { checkbox, checked, field, formValue, input, textarea } from "./forms.js";
import { errorBox, loading, showError } from "./notice.js";

/**
 * @param {{ base: string, canEdit: boolean, targetVisible?: boolean }} opts
 *   base: the entity's path (e.g. `/softwaremodules/3`); targetVisible: software module metadata
 *   may be shown to devices.
 */
export function metadataCard({ base, canEdit, targetVisible = false }) {
	const headingId = uid("meta");
	const card = h("section", { class: "card", "aria-labelledby": headingId }, loading());
	const slot = errorBox(null);

	function edit(item) {
		return formDialog({
			title: item ? `Edit ${item.key}` : "Add metadata",
			fields: [
				field(
					"Key",
					input("key", {
						required: true,
						maxlength: 128,
						value: item?.key,
						readonly: Boolean(item),
					}),
				),
				field("Value", textarea("value", { maxlength: 4000, value: item?.value })),
				targetVisible
					? checkbox(
							"targetVisible",
							"Visible to devices (sent in the deployment)",
							item?.targetVisible,
						)
					: null,
			],
			onSubmit: async (form) => {
				const key = formValue(form, "key");
				const body = { value: formValue(form, "value") ?? "" };
				if (targetVisible) {
					body.targetVisible = checked(form, "targetVisible");
				}
				if (item) {
					await put(`${base}/metadata/${seg(key)}`, body);
				} else {
					await post(`${base}/metadata`, [{ key, ...body }]);
				}
			},
		}).then((ok) => ok && render());
	}

	async function remove(item) {
		if (
			await confirmDialog({
				title: `Delete metadata "${item.key}"?`,
				message: "The key and its value are removed.",
			})
		) {
			try {
				await del(`${base}/metadata/${seg(item.key)}`);
				await render();
			} catch (err) {
				showError(slot, err);
			}
		}
	}

	async function render() {
		try {
			const page = await get(`${base}/metadata`, { limit: 100 });
			const items = Array.isArray(page) ? page : (page?.content ?? []);
			replace(
				card,
				h(
					"div",
					{ class: "card-head" },
					h("h2", { id: headingId }, "Metadata"),
					canEdit
						? h(
								"span",
								{ class: "actions" },
								h(
									"button",
									{ type: "button", class: "btn btn-small", onclick: () => edit(null) },
									"Add…",
								),
							)
						: null,
				),
				slot,
				items.length === 0
					? h("p", { class: "muted" }, "No metadata.")
					: h(
							"table",
							{ class: "table kv-table", "aria-label": "Metadata" },
							h(
								"tbody",
								null,
								items.map((m) =>
									h(
										"tr",
										null,
										h(
											"td",
											null,
											m.key,
											targetVisible && m.targetVisible
												? h("div", { class: "hint" }, "visible to devices")
												: null,
										),
										h("td", { class: "code" }, m.value),
										canEdit
											? h(
													"td",
													{ class: "num" },
													h(
														"button",
														{
															type: "button",
															class: "btn btn-small",
															onclick: () => edit(m),
															"aria-label": `Edit ${m.key}`,
														},
														"Edit",
													),
													" ",
													h(
														"button",
														{
															type: "button",
															class: "btn btn-small btn-ghost-danger",
															onclick: () => remove(m),
															"aria-label": `Delete ${m.key}`,
														},
														"Delete",
													),
												)
											: null,
									),
								),
							),
						),
			);
		} catch (err) {
			replace(card, h("h2", { id: headingId }, "Metadata"), errorBox(err));
		}
	}

	render();
	return card;
}
