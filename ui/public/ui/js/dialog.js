/**
 * Modal dialogs on the native <dialog> element: focus moves in and is trapped, Escape cancels, and
 * focus returns to the opener. Used for every confirmation before a destructive action and for forms.
 */
import { h, uid } from "./dom.js";
import { errorBox, showError } from "./notice.js";

function open(dialog) {
	const opener = document.activeElement;
	document.body.append(dialog);
	dialog.showModal();
	dialog.addEventListener("close", () => {
		dialog.remove();
		if (opener instanceof HTMLElement) {
			opener.focus();
		}
	});
}

/**
 * Asks before doing something that cannot be undone. Resolves true when confirmed.
 * @param {{ title: string, message: unknown, confirmLabel?: string, danger?: boolean }} opts
 */
export function confirmDialog({ title, message, confirmLabel = "Delete", danger = true }) {
	return new Promise((resolve) => {
		const titleId = uid("dlg");
		const cancel = h(
			"button",
			{ type: "button", class: "btn", onclick: () => dialog.close("cancel") },
			"Cancel",
		);
		const ok = h(
			"button",
			{ type: "submit", class: danger ? "btn btn-danger" : "btn btn-primary", value: "ok" },
			confirmLabel,
		);
		const dialog = h(
			"dialog",
			{ class: "dialog", "aria-labelledby": titleId },
			h(
				"form",
				{ method: "dialog" },
				h("h2", { id: titleId }, title),
				h("div", { class: "dialog-body" }, message),
				h("div", { class: "dialog-actions" }, cancel, ok),
			),
		);
		dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"));
		open(dialog);
		cancel.focus();
	});
}

/**
 * A form in a dialog. `onSubmit` receives the form and may throw an ApiError, which is shown inside
 * the dialog (the dialog stays open so the input can be corrected). Resolves to onSubmit's result,
 * or null when cancelled.
 * @param {{ title: string, fields: unknown, submitLabel?: string, onSubmit: (form: HTMLFormElement) => Promise<unknown>, wide?: boolean }} opts
 */
export function formDialog({ title, fields, submitLabel = "Save", onSubmit, wide = false }) {
	return new Promise((resolve) => {
		const titleId = uid("dlg");
		const slot = errorBox(null);
		const submit = h("button", { type: "submit", class: "btn btn-primary" }, submitLabel);
		let result = null;
		const form = h(
			"form",
			{
				novalidate: false,
				onsubmit: async (e) => {
					e.preventDefault();
					submit.disabled = true;
					showError(slot, null);
					try {
						result = (await onSubmit(form)) ?? true;
						dialog.close("ok");
					} catch (err) {
						showError(slot, err);
					} finally {
						submit.disabled = false;
					}
				},
			},
			h("h2", { id: titleId }, title),
			h("div", { class: "dialog-body" }, fields),
			slot,
			h(
				"div",
				{ class: "dialog-actions" },
				h(
					"button",
					{ type: "button", class: "btn", onclick: () => dialog.close("cancel") },
					"Cancel",
				),
				submit,
			),
		);
		const dialog = h(
			"dialog",
			{ class: wide ? "dialog dialog-wide" : "dialog", "aria-labelledby": titleId },
			form,
		);
		dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok" ? result : null));
		open(dialog);
		const first = form.querySelector("input, select, textarea");
		if (first instanceof HTMLElement) {
			first.focus();
		}
	});
}
