-- portos-lsp for Neovim 0.11+: save this file as ~/.config/nvim/lsp/portos_lsp.lua (any lsp/ directory on
-- 'runtimepath' will do) and put `vim.lsp.enable('portos_lsp')` in your init.lua. It attaches to PM2
-- ecosystem files only, never to other JavaScript, JSON or YAML; the server is `portos-lsp serve` from your PATH.

-- The names portos-lsp reads as ecosystem files: ecosystem.config.{js,cjs,mjs},
-- ecosystem.*.config.{js,cjs,mjs} and pm2.config.{js,cjs,mjs}; JSON, JSON5 and YAML files whose name starts
-- with ecosystem or pm2, process.json and processes.json.
local names = {
  '^ecosystem%.config%.[cm]?js$', '^ecosystem%..+%.config%.[cm]?js$', '^pm2%.config%.[cm]?js$',
  '^ecosystem.*%.json5?$', '^pm2.*%.json5?$', '^ecosystem.*%.ya?ml$', '^pm2.*%.ya?ml$',
  '^process%.json$', '^processes%.json$',
}

local function is_ecosystem(file)
  local name = vim.fn.fnamemodify(file, ':t')
  for _, pattern in ipairs(names) do
    if name:find(pattern) then
      return true
    end
  end
  return false
end

-- The nearest directory from dir upward holding one of markers, or nil.
local function nearest(dir, markers)
  local uv = vim.uv or vim.loop
  while true do
    for _, marker in ipairs(markers) do
      if uv.fs_stat(dir .. '/' .. marker) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ':h')
    if parent == dir then
      return nil
    end
    dir = parent
  end
end

return {
  cmd = { 'portos-lsp', 'serve' },
  filetypes = { 'javascript', 'json', 'jsonc', 'json5', 'yaml' },
  root_markers = { 'portos-lsp.toml', '.portos-lsp.toml', '.git' },
  -- Only ecosystem files get a root, and so a client. The root is the nearest directory holding
  -- portos-lsp.toml or .portos-lsp.toml, else the nearest holding .git, else the file's own directory.
  root_dir = function(bufnr, on_dir)
    local file = vim.api.nvim_buf_get_name(bufnr)
    if file == '' or not is_ecosystem(file) then
      return
    end
    local dir = vim.fn.fnamemodify(file, ':p:h')
    on_dir(nearest(dir, { 'portos-lsp.toml', '.portos-lsp.toml' }) or nearest(dir, { '.git' }) or dir)
  end,
}
