;;; portos-lsp.el --- PM2 ecosystem files checked by portos-lsp, through eglot  -*- lexical-binding: t; -*-

;; Put this file on your `load-path' and add (require 'portos-lsp) to your init file, or paste it there.
;; Needs Emacs 28+ and eglot (built in from Emacs 29; Debian's elpa-eglot, or M-x package-install, on 28).
;; Ecosystem files open in `portos-ecosystem-mode' (js-mode for them), PM2's JSON ones in
;; `portos-ecosystem-json-mode' (js-mode too: PM2 reads them as JavaScript) and its YAML ones in
;; `portos-ecosystem-yaml-mode' (yaml-mode when you have it), and eglot runs `portos-lsp serve' from your PATH
;; on them; other JavaScript, JSON and YAML stay in their modes, with whatever server you use there.

;;; Code:

(require 'js)
(require 'project)
(defvar eglot-server-programs)
(declare-function eglot-ensure "eglot")

(define-derived-mode portos-ecosystem-mode js-mode "PM2-Ecosystem"
  "Major mode for PM2 ecosystem files, checked by the portos-lsp language server."
  (add-hook 'project-find-functions #'portos-lsp-project nil t))

(define-derived-mode portos-ecosystem-json-mode js-mode "PM2-Ecosystem-JSON"
  "Major mode for PM2's JSON ecosystem files (one JavaScript expression to PM2), checked by portos-lsp."
  (add-hook 'project-find-functions #'portos-lsp-project nil t))

;; YAML's own mode when it is installed (yaml-mode), else a plain programming mode with YAML's comments.
(defalias 'portos-lsp--yaml-parent (if (fboundp 'yaml-mode) 'yaml-mode 'prog-mode))

(define-derived-mode portos-ecosystem-yaml-mode portos-lsp--yaml-parent "PM2-Ecosystem-YAML"
  "Major mode for PM2's YAML ecosystem files, checked by the portos-lsp language server."
  (setq-local comment-start "# ")
  (setq-local comment-start-skip "#+\\s-*")
  (add-hook 'project-find-functions #'portos-lsp-project nil t))

;; ecosystem.config.{js,cjs,mjs}, ecosystem.*.config.{js,cjs,mjs} and pm2.config.{js,cjs,mjs}; JSON, JSON5 and
;; YAML files whose name starts with ecosystem or pm2, process.json and processes.json: in front of the
;; entries of js-mode and the JSON and YAML modes, so these names win.
(add-to-list 'auto-mode-alist
             '("/\\(?:ecosystem\\(?:\\.[^/]+\\)?\\|pm2\\)\\.config\\.[cm]?js\\'" . portos-ecosystem-mode))
(add-to-list 'auto-mode-alist
             '("/\\(?:\\(?:ecosystem\\|pm2\\)[^/]*\\.json5?\\|process\\(?:es\\)?\\.json\\)\\'"
               . portos-ecosystem-json-mode))
(add-to-list 'auto-mode-alist
             '("/\\(?:ecosystem\\|pm2\\)[^/]*\\.ya?ml\\'" . portos-ecosystem-yaml-mode))

(with-eval-after-load 'eglot
  (add-to-list 'eglot-server-programs
               '((portos-ecosystem-mode portos-ecosystem-json-mode portos-ecosystem-yaml-mode)
                 . ("portos-lsp" "serve"))))

;; Start the server when an ecosystem file opens.
(add-hook 'portos-ecosystem-mode-hook #'eglot-ensure)
(add-hook 'portos-ecosystem-json-mode-hook #'eglot-ensure)
(add-hook 'portos-ecosystem-yaml-mode-hook #'eglot-ensure)

;; For eglot only: the workspace of an ecosystem file is the nearest directory holding portos-lsp.toml or
;; .portos-lsp.toml (else the usual project, such as the git repository, else the file's directory), as
;; `portos-lsp check' decides it.
(defun portos-lsp-project (dir)
  "The portos-lsp workspace of DIR when eglot asks, or nil."
  (when-let* (((bound-and-true-p eglot-lsp-context))
              (root (locate-dominating-file
                     dir (lambda (d)
                           (or (file-exists-p (expand-file-name "portos-lsp.toml" d))
                               (file-exists-p (expand-file-name ".portos-lsp.toml" d)))))))
    (cons 'portos-lsp (file-name-as-directory (expand-file-name root)))))

(cl-defmethod project-root ((project (head portos-lsp)))
  (cdr project))

(provide 'portos-lsp)
;;; portos-lsp.el ends here
