;;; portos-lsp.el --- PM2 ecosystem files checked by portos-lsp, through eglot  -*- lexical-binding: t; -*-

;; Put this file on your `load-path' and add (require 'portos-lsp) to your init file, or paste it there.
;; Needs Emacs 28+ and eglot (built in from Emacs 29; Debian's elpa-eglot, or M-x package-install, on 28).
;; Ecosystem files open in `portos-ecosystem-mode' (js-mode for them), and eglot runs `portos-lsp serve'
;; from your PATH on them; other JavaScript stays in js-mode, with whatever server you use there.

;;; Code:

(require 'js)
(require 'project)
(defvar eglot-server-programs)
(declare-function eglot-ensure "eglot")

(define-derived-mode portos-ecosystem-mode js-mode "PM2-Ecosystem"
  "Major mode for PM2 ecosystem files, checked by the portos-lsp language server."
  (add-hook 'project-find-functions #'portos-lsp-project nil t))

;; ecosystem.config.{js,cjs,mjs}, ecosystem.*.config.{js,cjs,mjs} and pm2.config.{js,cjs,mjs}: in front of
;; js-mode's entry, so these names win.
(add-to-list 'auto-mode-alist
             '("/\\(?:ecosystem\\(?:\\.[^/]+\\)?\\|pm2\\)\\.config\\.[cm]?js\\'" . portos-ecosystem-mode))

(with-eval-after-load 'eglot
  (add-to-list 'eglot-server-programs '(portos-ecosystem-mode . ("portos-lsp" "serve"))))

;; Start the server when an ecosystem file opens.
(add-hook 'portos-ecosystem-mode-hook #'eglot-ensure)

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
