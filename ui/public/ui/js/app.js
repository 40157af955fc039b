/**
 * The console shell: sign-in, navigation (only what the user's permissions allow), and a hash router
 * that loads one page module per route. Pages are plain ES modules loaded on demand; nothing is built.
 */
import { h, replace, s } from "./dom.js";
import { href } from "./links.js";
import { errorBox, loading } from "./notice.js";
import { basicAuthorization, can, onSignOut, resume, signIn, signOut, user } from "./session.js";

/** Navigation: label, route, and the permission that makes it useful. */
const NAV = [
	{ path: "/", label: "Dashboard", icon: "M3 3h8v8H3zM13 3h8v5h-8zM13 10h8v11h-8zM3 13h8v8H3z" },
	{ path: "/targets", label: "Targets", icon: "M4 4h16v11H4zM8 20h8M12 15v5", perm: "READ_TARGET" },
	{
		path: "/softwaremodules",
		label: "Software modules",
		icon: "M12 2l9 5v10l-9 5-9-5V7zM3 7l9 5 9-5M12 12v10",
		perm: "READ_SOFTWARE_MODULE",
	},
	{
		path: "/distributionsets",
		label: "Distribution sets",
		icon: "M12 3l10 5-10 5L2 8zM2 13l10 5 10-5M2 17.5l10 5 10-5",
		perm: "READ_DISTRIBUTION_SET",
	},
	{
		path: "/targetfilters",
		label: "Target filters",
		icon: "M3 4h18l-7 8v6l-4 2v-8z",
		perm: "READ_TARGET",
	},
	{
		path: "/rollouts",
		label: "Rollouts",
		icon: "M3 17l6-6 4 4 8-8M14 7h7v7",
		perm: "READ_ROLLOUT",
	},
	{
		path: "/system",
		label: "System",
		icon: "M4 6h16M4 12h16M4 18h16M8 4v4M16 10v4M10 16v4",
		perm: "READ_TENANT_CONFIGURATION",
	},
];

/** Routes → page modules (default export: `(ctx) => Promise<Node>`). */
const ROUTES = [
	{ path: "/", page: () => import("./pages/dashboard.js") },
	{ path: "/targets", page: () => import("./pages/targets.js"), perm: "READ_TARGET" },
	{ path: "/targets/:id", page: () => import("./pages/target.js"), perm: "READ_TARGET" },
	{
		path: "/softwaremodules",
		page: () => import("./pages/software-modules.js"),
		perm: "READ_SOFTWARE_MODULE",
	},
	{
		path: "/softwaremodules/:id",
		page: () => import("./pages/software-module.js"),
		perm: "READ_SOFTWARE_MODULE",
	},
	{
		path: "/distributionsets",
		page: () => import("./pages/distribution-sets.js"),
		perm: "READ_DISTRIBUTION_SET",
	},
	{
		path: "/distributionsets/:id",
		page: () => import("./pages/distribution-set.js"),
		perm: "READ_DISTRIBUTION_SET",
	},
	{ path: "/targetfilters", page: () => import("./pages/target-filters.js"), perm: "READ_TARGET" },
	{ path: "/rollouts", page: () => import("./pages/rollouts.js"), perm: "READ_ROLLOUT" },
	{
		path: "/rollouts/new",
		page: () => import("./pages/rollout-wizard.js"),
		perm: "CREATE_ROLLOUT",
	},
	{ path: "/rollouts/:id", page: () => import("./pages/rollout.js"), perm: "READ_ROLLOUT" },
	{ path: "/system", page: () => import("./pages/system.js"), perm: "READ_TENANT_CONFIGURATION" },
];

const root = /** @type {HTMLElement} */ (document.getElementById("app"));
let main = null;
let nav = null;
let current = null;
let navigations = 0;

/** Parses `#/targets/abc?q=x` into path and query. */
function parseHash() {
	const raw = location.hash.replace(/^#/, "") || "/";
	const [path, qs] = raw.split("?", 2);
	return { path: path || "/", query: Object.fromEntries(new URLSearchParams(qs ?? "")) };
}

function match(path) {
	const parts = path.split("/").filter(Boolean);
	for (const route of ROUTES) {
		const pattern = route.path.split("/").filter(Boolean);
		if (pattern.length !== parts.length) {
			continue;
		}
		const params = {};
		let ok = true;
		for (let i = 0; i < pattern.length; i++) {
			const p = pattern[i];
			if (p.startsWith(":")) {
				params[p.slice(1)] = decodeURIComponent(parts[i]);
			} else if (p !== parts[i]) {
				ok = false;
				break;
			}
		}
		if (ok) {
			return { route, params };
		}
	}
	return null;
}

async function render() {
	if (!user()) {
		return;
	}
	current?.abort();
	const controller = new AbortController();
	current = controller;
	const { path, query } = parseHash();
	highlightNav(path);
	const found = match(path);
	if (!found) {
		replace(
			main,
			h("h1", null, "Not found"),
			h(
				"p",
				null,
				"There is no page at this address. ",
				h("a", { href: "#/" }, "Go to the dashboard"),
			),
		);
		return;
	}
	if (found.route.perm && !can(found.route.perm)) {
		replace(
			main,
			h("h1", null, "Not allowed"),
			h("p", null, "Your account does not have the permission to see this page."),
		);
		return;
	}
	main.setAttribute("aria-busy", "true");
	if (!main.firstChild) {
		replace(main, loading());
	}
	try {
		const mod = await found.route.page();
		const node = await mod.default({
			params: found.params,
			query,
			signal: controller.signal,
			/** Keeps page state (paging, filter) in the address without a new history entry. */
			setQuery(next) {
				history.replaceState(null, "", href(path, { ...next }));
			},
		});
		if (controller.signal.aborted) {
			return;
		}
		replace(main, node);
		const heading = main.querySelector("h1");
		document.title = heading ? `${heading.textContent} · Updraft` : "Updraft";
		if (navigations > 0 && heading instanceof HTMLElement) {
			heading.tabIndex = -1;
			heading.focus({ preventScroll: false });
		}
		navigations += 1;
	} catch (err) {
		if (controller.signal.aborted || err?.name === "AbortError") {
			return;
		}
		replace(main, h("h1", null, "Something went wrong"), errorBox(err));
	} finally {
		if (!controller.signal.aborted) {
			main.removeAttribute("aria-busy");
		}
	}
}

function highlightNav(path) {
	for (const a of nav?.querySelectorAll("a") ?? []) {
		const target = a.getAttribute("href")?.slice(1) ?? "";
		const active = target === "/" ? path === "/" : path === target || path.startsWith(`${target}/`);
		if (active) {
			a.setAttribute("aria-current", "page");
		} else {
			a.removeAttribute("aria-current");
		}
	}
}

/** A stroked 24×24 line icon (decorative; the link text names the page). */
function navIcon(d) {
	return s(
		"svg",
		{
			class: "nav-icon",
			viewBox: "0 0 24 24",
			fill: "none",
			stroke: "currentColor",
			"stroke-width": 2,
			"stroke-linecap": "round",
			"stroke-linejoin": "round",
			"aria-hidden": "true",
		},
		s("path", { d }),
	);
}

function renderShell() {
	const me = user();
	const scrim = h("div", { class: "scrim", hidden: true, onclick: () => setMenu(false) });
	const menuButton = h(
		"button",
		{
			type: "button",
			class: "menu-toggle",
			"aria-expanded": "false",
			"aria-controls": "nav",
			onclick: () => setMenu(menuButton.getAttribute("aria-expanded") !== "true"),
		},
		"☰",
		h("span", { class: "sr-only" }, "Menu"),
	);
	/** The navigation drawer of narrow (tablet) layouts. */
	function setMenu(open) {
		menuButton.setAttribute("aria-expanded", String(open));
		nav.classList.toggle("open", open);
		scrim.hidden = !open;
	}
	document.addEventListener("keydown", (e) => {
		if (e.key === "Escape" && nav?.classList.contains("open")) {
			setMenu(false);
			menuButton.focus();
		}
	});
	nav = h(
		"nav",
		{ id: "nav", class: "nav", "aria-label": "Main" },
		h(
			"ul",
			null,
			NAV.filter((item) => !item.perm || can(item.perm)).map((item) =>
				h(
					"li",
					null,
					h(
						"a",
						{
							href: `#${item.path}`,
							onclick: () => setMenu(false),
						},
						navIcon(item.icon),
						item.label,
					),
				),
			),
		),
	);
	main = h("main", { id: "main", class: "main", tabindex: "-1" });
	replace(
		root,
		h(
			"header",
			{ class: "topbar" },
			menuButton,
			h(
				"a",
				{ class: "brand", href: "#/" },
				h("img", { src: "icon.svg", alt: "", width: 24, height: 24 }),
				"Updraft",
			),
			h(
				"div",
				{ class: "who" },
				h(
					"span",
					{ class: "who-name", title: `Tenant ${me?.tenant}` },
					me?.username,
					h("span", { class: "who-tenant" }, me?.tenant),
				),
				h(
					"button",
					{ type: "button", class: "btn btn-small", onclick: () => signOut("signed-out") },
					"Sign out",
				),
			),
		),
		h("div", { class: "layout" }, nav, scrim, main),
	);
	root.removeAttribute("aria-busy");
	render();
}

function renderLogin(reason) {
	const slot = errorBox(
		reason === "expired" ? { message: "Your session has ended. Please sign in again." } : null,
	);
	let mode = "password";
	const username = h("input", {
		id: "login-user",
		name: "username",
		autocomplete: "username",
		required: true,
	});
	const password = h("input", {
		id: "login-password",
		name: "password",
		type: "password",
		autocomplete: "current-password",
		required: true,
	});
	const token = h("input", {
		id: "login-token",
		name: "token",
		type: "password",
		autocomplete: "off",
		spellcheck: "false",
	});
	const passwordFields = h(
		"div",
		null,
		h("div", { class: "field" }, h("label", { for: "login-user" }, "Username"), username),
		h("div", { class: "field" }, h("label", { for: "login-password" }, "Password"), password),
	);
	const tokenFields = h(
		"div",
		{ hidden: true },
		h(
			"div",
			{ class: "field" },
			h("label", { for: "login-token" }, "API token"),
			token,
			h(
				"small",
				{ class: "hint" },
				"A token created with POST /rest/v1/system/tokens; sent as a Bearer credential.",
			),
		),
	);
	const tabPassword = h(
		"button",
		{
			type: "button",
			role: "tab",
			"aria-selected": "true",
			class: "tab",
			onclick: () => setMode("password"),
		},
		"Username & password",
	);
	const tabToken = h(
		"button",
		{
			type: "button",
			role: "tab",
			"aria-selected": "false",
			class: "tab",
			onclick: () => setMode("token"),
		},
		"API token",
	);
	function setMode(next) {
		mode = next;
		passwordFields.hidden = next !== "password";
		tokenFields.hidden = next !== "token";
		username.required = next === "password";
		password.required = next === "password";
		token.required = next === "token";
		tabPassword.setAttribute("aria-selected", String(next === "password"));
		tabToken.setAttribute("aria-selected", String(next === "token"));
		(next === "password" ? username : token).focus();
	}
	const submit = h("button", { type: "submit", class: "btn btn-primary btn-block" }, "Sign in");
	const form = h(
		"form",
		{
			class: "login-card",
			onsubmit: async (e) => {
				e.preventDefault();
				submit.disabled = true;
				replace(slot);
				try {
					const header =
						mode === "password"
							? basicAuthorization(username.value, password.value)
							: `Bearer ${token.value.trim()}`;
					await signIn(header);
					password.value = "";
					token.value = "";
					renderShell();
				} catch (err) {
					replace(slot, errorBox(err).firstChild);
					submit.disabled = false;
				}
			},
		},
		h(
			"div",
			{ class: "login-brand" },
			h("img", { src: "icon.svg", alt: "", width: 40, height: 40 }),
			h("h1", null, "Updraft"),
		),
		h("p", { class: "muted" }, "Sign in with your Management API credentials."),
		h(
			"div",
			{ class: "tabs", role: "tablist", "aria-label": "Sign-in method" },
			tabPassword,
			tabToken,
		),
		passwordFields,
		tokenFields,
		slot,
		submit,
	);
	replace(root, h("main", { id: "main", class: "login" }, form));
	root.removeAttribute("aria-busy");
	username.focus();
}

onSignOut((reason) => {
	current?.abort();
	renderLogin(reason);
});
window.addEventListener("hashchange", render);

const resumed = await resume();
if (resumed) {
	renderShell();
} else {
	renderLogin();
}
